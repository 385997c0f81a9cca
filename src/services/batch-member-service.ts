import type { Store } from '../db/database.js';
import { clip } from '../domain/clip.js';
import { PROJECT_ID_RE, UUID_RE } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import { isMemberId, MAX_MEMBER_ID } from '../domain/member.js';
import type { Image } from '../domain/image.js';
import { badRequest } from '../errors/app-error.js';
import { batchError } from '../errors/catalogue.js';
import type { ImageRepo } from '../repos/image-repo.js';
import type { MemberRepo } from '../repos/member-repo.js';
import { addMember, ownImage, selfShare, shareAvailable } from '../policy/sharing.js';
import { membershipMatters } from '../policy/visibility.js';
import type { JobService } from './job-service.js';

/** Job types of the IMS batch member APIs (E1-E3). */
export const ADD_JOB = 'imsAddImageMembersJob';
export const UPDATE_JOB = 'imsUpdateImageMembersJob';
export const DELETE_JOB = 'imsDelImageMembersJob';

/** Batch limits: the largest request one job takes. */
export const MAX_IMAGES = 1000;
export const MAX_PROJECTS = 1000;

export interface PairsPayload {
  images: string[];
  projects: string[];
  /** Submitted by a cloud admin, who may act on any project's images. */
  admin?: boolean;
}

export interface UpdatePayload {
  images: string[];
  project_id: string;
  status: 'accepted' | 'rejected';
  vault_id?: string;
}

const invalid = (message: string) => badRequest(message, 'IMG.0001');

function requireBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') throw badRequest('The request body is empty.', 'IMG.0007');
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('The request message format is invalid.');
  return body as Record<string, unknown>;
}

/** A non-empty array of strings, without duplicates (order kept). */
function stringList(body: Record<string, unknown>, key: string, max: number, required: boolean): string[] {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw invalid(`The request message format is invalid: ${key} is required.`);
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(`The request message format is invalid: ${key} must be an array of strings.`);
  }
  const unique = [...new Set(value as string[])];
  if (required && unique.length === 0) throw invalid(`The request message format is invalid: ${key} is empty.`);
  if (unique.length > max) throw invalid(`The request message format is invalid: at most ${max} ${key} per request.`);
  return unique;
}

function imageIds(body: Record<string, unknown>): string[] {
  const images = stringList(body, 'images', MAX_IMAGES, true);
  for (const id of images) if (!UUID_RE.test(id)) throw badRequest(`The image ID is incorrect: ${clip(id)}`, 'IMG.0066');
  return images;
}

function projectIds(body: Record<string, unknown>): string[] {
  const projects = stringList(body, 'projects', MAX_PROJECTS, false);
  const others = ['domains', 'organizations'].filter((k) => stringList(body, k, MAX_PROJECTS, false).length > 0);
  if (others.length > 0) {
    throw invalid(`The request message format is invalid: sharing with ${others.join(' and ')} is not supported `
      + 'by this service; list project IDs in projects.');
  }
  if (projects.length === 0) throw invalid('The request message format is invalid: projects is empty.');
  for (const p of projects) if (!PROJECT_ID_RE.test(p)) throw badRequest(`The project ID is incorrect: ${clip(p)}`, 'IMG.0067');
  return projects;
}

/**
 * The IMS batch member APIs: synchronous validation (body shape, ID formats, image existence, ownership
 * and eligibility, self-share, limits) with IMG errors, then one durable job whose row commits in the same
 * transaction as the request; per-(image, project) outcomes are the job's results.
 */
export class BatchMemberService {
  constructor(private readonly store: Store, private readonly jobs: JobService,
    private readonly repos: { images: ImageRepo; members: MemberRepo }) {}

  /** E1 `POST /v1/cloudimages/members`. */
  async add(ctx: RequestContext, body: unknown): Promise<string> {
    const b = requireBody(body);
    const images = imageIds(b);
    const projects = projectIds(b);
    // Existence and ownership of every image first, then each image's eligibility in turn.
    for (const image of await this.ownedImages(ctx, images)) {
      const refused = addMember(ctx, image, undefined) ?? shareAvailable(image)
        ?? projects.map((p) => selfShare(image, p)).find(Boolean);
      if (refused) throw batchError(refused, image.id);
    }
    return this.submit(ctx, ADD_JOB, { images, projects, ...(ctx.isAdmin ? { admin: true } : {}) } satisfies PairsPayload,
      images.length * projects.length);
  }

  /** E2 `PUT /v1/cloudimages/members`: the recipient accepts or rejects images shared with it. */
  async update(ctx: RequestContext, body: unknown): Promise<string> {
    const b = requireBody(body);
    const images = imageIds(b);
    const projectId = b.project_id;
    if (typeof projectId !== 'string' || projectId === '') {
      throw invalid('The request message format is invalid: project_id is required.');
    }
    if (!PROJECT_ID_RE.test(projectId)) throw badRequest(`The project ID is incorrect: ${clip(projectId)}`, 'IMG.0067');
    if (projectId !== ctx.projectId && !ctx.isAdmin) {
      throw badRequest('The project ID and token in the request are invalid: project_id must be your own project.',
        'IMG.0030');
    }
    const status = b.status;
    if (status !== 'accepted' && status !== 'rejected') {
      throw invalid('The request message format is invalid: status must be "accepted" or "rejected".');
    }
    const vault = b.vault_id;
    if (vault !== undefined && vault !== null && (typeof vault !== 'string' || !isMemberId(vault))) {
      throw invalid(`The request message format is invalid: vault_id must be a string of 1 to ${MAX_MEMBER_ID} `
        + 'characters, none of them a control character.');
    }
    // As add and delete check their images up front: each must have been shared with the project.
    const shared = await this.repos.members.memberOf(projectId, images);
    const unknown = images.find((id) => !shared.has(id));
    if (unknown !== undefined) throw badRequest(`The image ID in the request does not exist: ${unknown}`, 'IMG.0027');
    const payload: UpdatePayload = { images, project_id: projectId, status, ...(vault ? { vault_id: vault as string } : {}) };
    return this.submit(ctx, UPDATE_JOB, payload, images.length);
  }

  /** E3 `DELETE /v1/cloudimages/members` (a JSON body on DELETE). */
  async remove(ctx: RequestContext, body: unknown): Promise<string> {
    const b = requireBody(body);
    const images = imageIds(b);
    const projects = projectIds(b);
    await this.ownedImages(ctx, images);
    return this.submit(ctx, DELETE_JOB, { images, projects, ...(ctx.isAdmin ? { admin: true } : {}) } satisfies PairsPayload,
      images.length * projects.length);
  }

  /**
   * Every image must exist for the caller and be its own (admins may act on any): the images, in the request's
   * order. An image shared with the caller exists for it, and is refused for not being its own.
   */
  private async ownedImages(ctx: RequestContext, ids: string[]): Promise<Image[]> {
    const byId = new Map((await this.repos.images.getMany(ids)).map((image) => [image.id, image]));
    const others = [...byId.values()].filter((image) => membershipMatters(ctx, image)).map((image) => image.id);
    const memberOf = others.length === 0 ? new Map() : await this.repos.members.memberOf(ctx.projectId, others);
    for (const id of ids) {
      const image = byId.get(id);
      const refused = ownImage(ctx, image, memberOf.get(id));
      if (refused) throw batchError(refused, id);
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
