import { Type } from '@sinclair/typebox';
import { unparsed } from '../request-schemas.js';

const projectId = Type.String({ description: 'The caller\'s project' });
const imageId = Type.String({ description: 'Image id (UUID)' });
const jobId = Type.String({ description: 'Job id' });

/** ListJobs `/v1/{project_id}/jobs`. */
export const PROJECT_PARAMS = Type.Object({ project_id: projectId });

/** ListJobs' page: each key at most once. */
export const JOBS_QUERY = unparsed(Type.Object({
  limit: Type.Optional(Type.String({ description: 'Jobs per page, 1 to 100 (20 if absent)' })),
  marker: Type.Optional(Type.String({ description: 'The job_id of the last job of the previous page' })),
}));

/** ShowJob `/v1/{project_id}/jobs/{job_id}`. */
export const PROJECT_JOB_PARAMS = Type.Object({ project_id: projectId, job_id: jobId });

/** ShowJobProgress `/v1/cloudimages/job/{job_id}`. */
export const JOB_PARAMS = Type.Object({ job_id: jobId });

/** ListImageMembers `/v1/{project_id}/cloudimages/{image_id}/members`. */
export const MEMBERS_PARAMS = Type.Object({ project_id: projectId, image_id: imageId });

/** ListImageMembers' page: each key at most once. */
export const MEMBERS_QUERY = unparsed(Type.Object({
  limit: Type.Optional(Type.String({ description: 'Members per page, 1 to 1000 (500 if absent)' })),
  marker: Type.Optional(Type.String({ description: 'The next_marker of the previous page' })),
}));

/** ShowImageMember `/v1/{project_id}/cloudimages/{image_id}/members/{member_id}`. */
export const MEMBER_PARAMS = Type.Object({
  project_id: projectId, image_id: imageId, member_id: Type.String({ description: 'Member id (a project id)' }),
});
