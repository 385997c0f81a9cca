import { IMAGE_RESPONSE } from '../glance/bodies.js';

/** The answer bodies of the IMS routes, for /openapi.json. */

const string = { type: 'string' } as const;

/** BatchAddMembers, BatchUpdateMembers, BatchDeleteMembers: the job the request submitted. */
export const JOB_ID_RESPONSE = {
  type: 'object', required: ['job_id'], properties: { job_id: { type: 'string', description: '32 hex digits' } },
} as const;

/** What ShowJob and ListJobs both show of a job. */
const JOB_HEAD = {
  status: { type: 'string', enum: ['INIT', 'RUNNING', 'SUCCESS', 'FAIL'] },
  job_id: string,
  job_type: { type: 'string', enum: ['imsAddImageMembersJob', 'imsUpdateImageMembersJob', 'imsDelImageMembersJob'] },
  begin_time: string,
  end_time: { type: 'string', description: '"" until the job ends' },
  error_code: { type: ['string', 'null'] },
  fail_reason: { type: ['string', 'null'] },
} as const;

const count = { type: 'integer', minimum: 0 } as const;

/** ListJobs (an ims addition): the project's jobs, newest first, each without its results but with their counts. */
export const JOBS_RESPONSE = {
  type: 'object',
  required: ['jobs'],
  properties: {
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...JOB_HEAD,
          pairs: {
            type: 'object',
            description: '(image, target) pairs: to do in all (never fewer than done), done so far, failed of those',
            properties: { total: count, done: count, failed: count },
          },
        },
      },
    },
  },
} as const;

/** ShowJob (ShowJobProgress): the job; `entities.results` one (image, target) pair each, once processed. */
export const JOB_RESPONSE = {
  type: 'object',
  properties: {
    ...JOB_HEAD,
    entities: {
      type: 'object',
      properties: {
        results: {
          type: 'array',
          items: {
            type: 'object',
            properties: { image_id: string, project_id: string, status: { type: 'string', enum: ['success', 'failed'] } },
          },
        },
      },
    },
  },
} as const;

export const GRANTS_RESPONSE = {
  type: 'object',
  properties: {
    grants: { type: 'array', items: { type: 'object', properties: { key_id: string, project_id: string, created_at: string } } },
  },
} as const;

/** ListImages (/v2/cloudimages): the Glance listing's images, without its links. */
export const CLOUDIMAGES_RESPONSE = {
  type: 'object', properties: { images: { type: 'array', items: IMAGE_RESPONSE } },
} as const;
