import type { Store } from '../db/database.js';
import type { RequestContext } from '../domain/context.js';
import type { Image } from '../domain/image.js';
import { batchError, batchImageNotFound } from '../errors/catalogue.js';
import type { ImageRepo } from '../repos/image-repo.js';
import type { MemberRepo } from '../repos/member-repo.js';
import { reachIds, type ReachSource } from '../repos/reach.js';
import { addMember, batchMembershipMatters, batchOwnImage, selfShare, shareAvailable } from '../policy/sharing.js';
import type { JobService } from './job-service.js';

/** Job types of the IMS batch member APIs (BatchAddMembers, BatchUpdateMembers, BatchDeleteMembers). */
export const ADD_JOB = 'imsAddImageMembersJob';
export const UPDATE_JOB = 'imsUpdateImageMembersJob';
export const DELETE_JOB = 'imsDelImageMembersJob';

/**
 * BatchAddMembers and BatchDeleteMembers bodies, parsed in the HTTP layer: image ids, and the projects, accounts and
 * organizations, each once.
 */
export interface BatchPairsInput {
  images: string[];
  projects: string[];
  /** Account (domain) ids. */
  domains?: string[];
  /** Organization URNs or bare `o-`/`r-`/`ou-` ids, as given. */
  organizations?: string[];
}

/** Every target of a pairs job, in the order its pairs are done: projects, then accounts, then organizations. */
export const targetsOf = (p: BatchPairsInput): string[] =>
  [...p.projects, ...(p.domains ?? []), ...(p.organizations ?? [])];

/** What every batch job's payload may carry: the id of the request that submitted it, for the runner's logs. */
export interface Submitted {
  request_id?: string;
}

export interface PairsPayload extends BatchPairsInput, Submitted {
  /** Submitted by a cloud admin, who may act on any project's images. */
  admin?: boolean;
}

/**
 * The BatchUpdateMembers body, parsed in the HTTP layer (its project_id checked against the caller's), is the job's
 * payload.
 */
export interface UpdatePayload extends Submitted {
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
  constructor(private readonly store: Store, private readonly jobs: JobService,
    private readonly repos: { images: ImageRepo; members: MemberRepo; orgs: ReachSource }) {}

  /** BatchAddMembers `POST /v1/cloudimages/members`; `requestId` names the request in the job's log lines. */
  async add(ctx: RequestContext, input: BatchPairsInput, requestId?: string): Promise<string> {
    const { images, projects } = input;
    // Existence and ownership of every image first, then each image's eligibility in turn.
    for (const image of await this.ownedImages(ctx, images)) {
      const refused = addMember(ctx, image, undefined) ?? shareAvailable(image)
        ?? projects.map((p) => selfShare(image, p)).find(Boolean);
      if (refused) throw batchError(refused, image.id);
    }
    return this.submitPairs(ctx, ADD_JOB, input, requestId);
  }

  /** BatchUpdateMembers `PUT /v1/cloudimages/members`: the recipient accepts or rejects images shared with it. */
  async update(ctx: RequestContext, payload: UpdatePayload, requestId?: string): Promise<string> {
    const { images, project_id: projectId } = payload;
    // As add and delete check their images up front: each must have been shared with the project.
    const shared = await this.repos.members.memberOf(await reachIds(this.repos.orgs, projectId), images);
    const unknown = images.find((id) => !shared.has(id));
    if (unknown !== undefined) throw batchImageNotFound(unknown);
    return this.submit(ctx, UPDATE_JOB, payload, images.length, requestId);
  }

  /** BatchDeleteMembers `DELETE /v1/cloudimages/members` (a JSON body on DELETE). */
  async remove(ctx: RequestContext, input: BatchPairsInput, requestId?: string): Promise<string> {
    await this.ownedImages(ctx, input.images);
    return this.submitPairs(ctx, DELETE_JOB, input, requestId);
  }

  /** A pairs job: only the target lists given are in its payload (jobs submitted before accounts had only projects). */
  private submitPairs(ctx: RequestContext, type: string, input: BatchPairsInput, requestId?: string): Promise<string> {
    const payload: PairsPayload = {
      images: input.images, projects: input.projects,
      ...(input.domains?.length ? { domains: input.domains } : {}),
      ...(input.organizations?.length ? { organizations: input.organizations } : {}),
      ...(ctx.isAdmin ? { admin: true } : {}),
    };
    return this.submit(ctx, type, payload, input.images.length * targetsOf(input).length, requestId);
  }

  /**
   * Every image must exist for the caller and be its own (admins may act on any): the images, in the request's
   * order. An image shared with the caller exists for it, and is refused for not being its own (`batchOwnImage`).
   */
  private async ownedImages(ctx: RequestContext, ids: string[]): Promise<Image[]> {
    const byId = new Map((await this.repos.images.getMany(ids)).map((image) => [image.id, image]));
    const others = [...byId.values()].filter((image) => batchMembershipMatters(ctx, image)).map((image) => image.id);
    const memberOf = others.length === 0 ? new Map()
      : await this.repos.members.memberOf(await reachIds(this.repos.orgs, ctx.projectId), others);
    for (const id of ids) {
      const image = byId.get(id);
      const refused = batchOwnImage(ctx, image, memberOf.get(id));
      if (refused) throw batchError(refused, id);
    }
    return ids.map((id) => byId.get(id)!);
  }

  /** The job row (of `pairs` pairs) commits in its own transaction; the runners of this process are nudged after commit. */
  private async submit(ctx: RequestContext, type: string, payload: object, pairs: number, requestId?: string)
    : Promise<string> {
    const submitted = requestId === undefined ? payload : { ...payload, request_id: requestId };
    const id = await this.store.transaction((trx) => this.jobs.submit(trx, ctx, type, submitted, pairs));
    this.jobs.notify();
    return id;
  }
}
