import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { type Clock, isoNow } from '../domain/clock.js';
import { img, pairCode, reasonOf, updatePairCode } from '../errors/catalogue.js';
import {
  acceptVault, batchAddMember, batchMembershipMatters, batchOwnImage, kmsKeyOf, type MemberQuotas, modifyMember,
  shareAvailable, shareWith, withinQuota,
} from '../policy/sharing.js';
import type { Viewer } from '../policy/visibility.js';
import type { ImageRepo } from '../repos/image-repo.js';
import type { JobOutcome, JobResultInput } from '../repos/job-repo.js';
import type { KmsGrantRepo } from '../repos/kms-grant-repo.js';
import type { MemberRow, MemberRepo } from '../repos/member-repo.js';
import type { PairsPayload, UpdatePayload } from '../services/batch-member-service.js';
import { type JobContext, type JobHandler, SliceOverError } from './runner.js';

/** SUCCESS when every pair succeeded; else FAIL with the first failure's code and reason. */
async function outcome(ctx: JobContext): Promise<JobOutcome> {
  const failed = await ctx.firstFailure();
  if (!failed) return { status: 'SUCCESS' };
  const code = failed.error_code ?? img('addFailed');
  return {
    status: 'FAIL', errorCode: code,
    failReason: `${reasonOf(code)} (image ${failed.image_id}, project ${failed.project_id})`,
  };
}

const ok = (imageId: string, projectId: string): JobResultInput =>
  ({ imageId, projectId, status: 'success', errorCode: null });
const failed = (imageId: string, projectId: string, errorCode: string): JobResultInput =>
  ({ imageId, projectId, status: 'failed', errorCode });

/** Pairs per chunk: a few images per transaction, so one commit carries ~1,000 memberships and results. */
const CHUNK_PAIRS = 1000;

interface Work {
  imageId: string;
  pending: string[];
}

/**
 * The pairs still to do. Every run records the pairs image by image, each image's projects in the payload's
 * order, a chunk at a time: what earlier runs recorded is the first `seq` pairs of that order, so the rest
 * is found without reading every result (a million of them, for a large job). Should the last result not be
 * the pair its number says, the results are read and every recorded pair skipped.
 */
async function remaining(ctx: JobContext, images: string[], projects: string[]): Promise<Work[]> {
  const last = await ctx.lastResult();
  const done = last?.seq ?? 0;
  const at = done - 1;
  if (done === 0 || (images[Math.floor(at / projects.length)] === last!.image_id
    && projects[at % projects.length] === last!.project_id)) {
    const first = Math.floor(done / projects.length);
    return images.slice(first).map((imageId, i) =>
      ({ imageId, pending: i === 0 ? projects.slice(done % projects.length) : projects }))
      .filter((w) => w.pending.length > 0);
  }
  const recorded = await ctx.recordedPairs();
  return images.map((imageId) => ({ imageId, pending: projects.filter((p) => !recorded.has(imageId, p)) }))
    .filter((w) => w.pending.length > 0);
}

/**
 * Runs `decide` for each image's unrecorded pairs, several images per chunk: the membership writes and the
 * results describing them commit together, so a taken-over job resumes exactly where the dead runner stopped.
 * Between chunks the event loop gets a turn, so a server running the job keeps answering requests, and a job
 * that has had its time slice gives way to another project's waiting job.
 */
async function perImage(ctx: JobContext, images: string[], projects: string[],
  decide: (trx: Transaction<Database>, imageId: string, pending: string[], results: JobResultInput[]) => Promise<void>)
  : Promise<JobOutcome> {
  const work = await remaining(ctx, images, projects);
  for (let i = 0; i < work.length;) {
    const chunk: Work[] = [];
    for (let pairs = 0; i < work.length && (chunk.length === 0 || pairs + work[i]!.pending.length <= CHUNK_PAIRS); i++) {
      pairs += work[i]!.pending.length;
      chunk.push(work[i]!);
    }
    const results: JobResultInput[] = [];
    await new Promise<void>((resolve) => { setImmediate(resolve); });
    if (await ctx.sliceOver()) throw new SliceOverError(ctx.job.id);
    // commitChunk appends `results` after `decide` filled them, in the same transaction.
    await ctx.commitChunk(async (trx) => {
      for (const { imageId, pending } of chunk) await decide(trx, imageId, pending, results);
    }, results);
  }
  return outcome(ctx);
}

/** What the member jobs read and write. */
export interface MemberJobDeps {
  repos: { images: ImageRepo; members: MemberRepo; grants: KmsGrantRepo };
  clock: Clock;
  quotas: MemberQuotas;
}

/** Who a pairs job acts as: the project that submitted it, or an admin when an admin did. */
const submitter = (ctx: JobContext, payload: PairsPayload): Viewer =>
  ({ projectId: ctx.job.projectId, isAdmin: payload.admin === true });

/** `imsAddImageMembersJob`: re-adding an existing member succeeds and keeps its status. */
export function addMembersHandler(deps: MemberJobDeps): JobHandler<PairsPayload> {
  const { repos, clock, quotas } = deps;
  return (payload, ctx) => perImage(ctx, payload.images, payload.projects, async (trx, imageId, pending, results) => {
    const caller = submitter(ctx, payload);
    const { lock, membership } = await deps.repos.images.lockFor(caller, imageId, trx, batchMembershipMatters);
    const refused = batchAddMember(caller, lock?.image, membership) ?? shareAvailable(lock!.image);
    if (refused) {
      results.push(...pending.map((p) => failed(imageId, p, pairCode(refused))));
      return;
    }
    const { image } = lock!;
    const existing = await repos.members.existing(lock!, pending);
    const key = kmsKeyOf(image);
    const granted = key === undefined ? new Set<string>() : await repos.grants.grantedOf(key, pending, trx);
    let count = lock!.members;
    const now = isoNow(clock);
    const rows: MemberRow[] = [];
    // A pair that succeeds leaves the project a member of a shared image, re-added ones included.
    let shares = false;
    for (const projectId of pending) {
      const refusal = existing.has(projectId) ? undefined
        : shareWith(image, projectId, granted.has(projectId)) ?? withinQuota(image, count, quotas);
      if (refusal) {
        results.push(failed(imageId, projectId, pairCode(refusal)));
        continue;
      }
      if (!existing.has(projectId)) {
        rows.push({ image_id: imageId, member_id: projectId, status: 'pending', vault_id: null,
          image_created_at: image.created_at, created_at: now, updated_at: now });
        count++;
      }
      results.push(ok(imageId, projectId));
      shares = true;
    }
    await repos.members.insertMany(lock!, rows);
    if (shares) await repos.images.markShared(lock!, now);
  });
}

/** `imsUpdateImageMembersJob`: the recipient accepts or rejects (the job acts as it); full-ECS images need a vault. */
export function updateMembersHandler(deps: MemberJobDeps): JobHandler<UpdatePayload> {
  const { repos, clock } = deps;
  return (payload, ctx) => perImage(ctx, payload.images, [payload.project_id],
    async (trx, imageId, [projectId], results) => {
      const member: Viewer = { projectId: projectId!, isAdmin: false };
      const lock = await repos.images.lock(imageId, trx);
      const membership = lock && await repos.images.memberStatus(imageId, projectId!, trx);
      const refused = modifyMember(member, lock?.image, membership, projectId!)
        ?? (membership === undefined ? 'member_not_found' : undefined)
        ?? acceptVault(lock!.image, payload.status, payload.vault_id);
      if (refused) {
        results.push(failed(imageId, projectId!, updatePairCode(refused)));
        return;
      }
      await repos.members.updateStatus(lock!, projectId!, payload.status, payload.vault_id, isoNow(clock));
      results.push(ok(imageId, projectId!));
    });
}

/** `imsDelImageMembersJob`: removing a project that is not a member succeeds (the end state holds). */
export function deleteMembersHandler(deps: MemberJobDeps): JobHandler<PairsPayload> {
  return (payload, ctx) => perImage(ctx, payload.images, payload.projects, async (trx, imageId, pending, results) => {
    const caller = submitter(ctx, payload);
    const { lock, membership } = await deps.repos.images.lockFor(caller, imageId, trx, batchMembershipMatters);
    const refused = batchOwnImage(caller, lock?.image, membership);
    if (refused) {
      results.push(...pending.map((p) => failed(imageId, p, pairCode(refused))));
      return;
    }
    await deps.repos.members.deleteMany(lock!, pending);
    results.push(...pending.map((p) => ok(imageId, p)));
  });
}
