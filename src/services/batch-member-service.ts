import type { Store } from '../db/database.js';
import type { ImageRow } from '../db/schema.js';
import type { RequestContext } from '../domain/context.js';
import type { MemberRepo } from '../repos/member-repo.js';
import { badRequest } from '../errors/app-error.js';
import type { JobService } from './job-service.js';

/** Job types of the IMS batch member APIs (E1-E3). */
export const ADD_JOB = 'imsAddImageMembersJob';
export const UPDATE_JOB = 'imsUpdateImageMembersJob';
export const DELETE_JOB = 'imsDelImageMembersJob';

/** E1 and E3 bodies, parsed in the HTTP layer: image and project ids, each once. */
export interface BatchPairsInput {
  images: string[];
  projects: string[];
}

export interface PairsPayload extends BatchPairsInput {
  /** Submitted by a cloud admin, who may act on any project's images. */
  admin?: boolean;
}

/** The E2 body, parsed in the HTTP layer (its project_id checked against the caller's), is the job's payload. */
export interface UpdatePayload {
  images: string[];
  project_id: string;
  status: 'accepted' | 'rejected';
  vault_id?: string;
}

/**
 * The IMS batch member APIs: synchronous checks of the parsed bodies (image existence, ownership and
 * eligibility, self-share) with IMG errors, then one durable job whose row commits in the same
 * transaction as the request; per-(image, project) outcomes are the job's results.
 */
export class BatchMemberService {
  constructor(private readonly store: Store, private readonly jobs: JobService, private readonly members: MemberRepo) {}

  /** E1 `POST /v1/cloudimages/members`. */
  async add(ctx: RequestContext, { images, projects }: BatchPairsInput): Promise<string> {
    const rows = await this.ownedImages(ctx, images);
    for (const image of rows) {
      if (image.visibility === 'public' || image.visibility === 'community') {
        throw badRequest(`The public image cannot be shared: ${image.id}`, 'IMG.0089');
      }
      if (image.status !== 'active') throw badRequest(`The image is unavailable: ${image.id}`, 'IMG.0046');
      if (image.owner !== null && projects.includes(image.owner)) {
        throw badRequest('You cannot share an image with yourself.', 'IMG.0076');
      }
    }
    return this.submit(ctx, ADD_JOB, { images, projects, ...(ctx.isAdmin ? { admin: true } : {}) } satisfies PairsPayload,
      images.length * projects.length);
  }

  /** E2 `PUT /v1/cloudimages/members`: the recipient accepts or rejects images shared with it. */
  async update(ctx: RequestContext, payload: UpdatePayload): Promise<string> {
    const { images, project_id: projectId } = payload;
    // As add and delete check their images up front: each must have been shared with the project.
    const shared = await this.members.memberOf(projectId, images);
    const unknown = images.find((id) => !shared.has(id));
    if (unknown !== undefined) throw badRequest(`The image ID in the request does not exist: ${unknown}`, 'IMG.0027');
    return this.submit(ctx, UPDATE_JOB, payload, images.length);
  }

  /** E3 `DELETE /v1/cloudimages/members` (a JSON body on DELETE). */
  async remove(ctx: RequestContext, { images, projects }: BatchPairsInput): Promise<string> {
    await this.ownedImages(ctx, images);
    return this.submit(ctx, DELETE_JOB, { images, projects, ...(ctx.isAdmin ? { admin: true } : {}) } satisfies PairsPayload,
      images.length * projects.length);
  }

  /** Every image must exist and belong to the caller (admins may act on any). */
  private async ownedImages(ctx: RequestContext, ids: string[]): Promise<ImageRow[]> {
    const rows = await this.store.db.selectFrom('images').selectAll().where('id', 'in', ids).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    // An image shared with the caller exists for it (it can read it): refused for not being the owner's.
    const others = ctx.isAdmin ? [] : rows.filter((r) => r.owner !== ctx.projectId && r.visibility === 'shared');
    const shared = others.length === 0 ? new Set<string>()
      : await this.members.memberOf(ctx.projectId, others.map((r) => r.id));
    for (const id of ids) {
      const image = byId.get(id);
      const visible = image && (ctx.isAdmin || image.owner === ctx.projectId || image.visibility === 'public'
        || image.visibility === 'community' || shared.has(id));
      if (!image || !visible) throw badRequest(`The image ID in the request does not exist: ${id}`, 'IMG.0027');
      if (!ctx.isAdmin && image.owner !== ctx.projectId) {
        throw badRequest(`This operation can be performed only by the image owner: ${id}`, 'IMG.0047');
      }
    }
    return ids.map((id) => byId.get(id)!);
  }

  /** The job row (of `pairs` pairs) commits in its own transaction; the runners of this process are nudged after commit. */
  private async submit(ctx: RequestContext, type: string, payload: object, pairs: number): Promise<string> {
    const id = await this.store.transaction((trx) => this.jobs.submit(trx, ctx, type, payload, pairs));
    this.jobs.notify();
    return id;
  }
}
