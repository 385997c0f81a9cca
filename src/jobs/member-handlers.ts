import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { type Clock, isoNow } from '../domain/clock.js';
import { isWholeImage, memberQuota, withinQuota } from '../domain/member.js';
import type { JobOutcome, JobResultInput } from '../repos/job-repo.js';
import type { MemberRow } from '../repos/member-repo.js';
import type { PairsPayload, UpdatePayload } from '../services/batch-member-service.js';
import type { MemberQuotas, MemberService } from '../services/member-service.js';
import { type JobContext, type JobHandler, SliceOverError } from './runner.js';

/** The messages behind the IMG codes a pair can fail with (ims-sharing.md §6.4). */
const REASONS: Record<string, string> = {
  'IMG.0027': 'The image ID in the request does not exist.',
  'IMG.0047': 'This operation can be performed only by the image owner.',
  'IMG.0076': 'You cannot share an image with yourself.',
  'IMG.0088': 'The number of shared images has reached the maximum allowed.',
  'IMG.0089': 'The public image cannot be shared.',
  'IMG.0099': 'You do not have the permission to use the KMS key of the image.',
  'IMG.0135': 'The full-ECS image cannot be shared.',
  'IMG.0144': 'The image does not exist or is not shared with the project.',
  'IMG.0184': 'vault_id is mandatory when accepting a full-ECS image created from a CBR backup.',
};

/** SUCCESS when every pair succeeded; else FAIL with the first failure's code and reason. */
async function outcome(ctx: JobContext): Promise<JobOutcome> {
  const failed = await ctx.firstFailure();
  if (!failed) return { status: 'SUCCESS' };
  const code = failed.error_code ?? 'IMG.0112';
  return {
    status: 'FAIL', errorCode: code,
    failReason: `${REASONS[code] ?? 'The operation failed.'} (image ${failed.image_id}, project ${failed.project_id})`,
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

/** `IMG.0047` unless the job's project owns the image (or an admin submitted the job). */
const ownerRefusal = (owner: string | null, ctx: JobContext, payload: PairsPayload) =>
  (owner !== ctx.job.projectId && !payload.admin ? 'IMG.0047' : undefined);

/** `imsAddImageMembersJob`: re-adding an existing member succeeds and keeps its status. */
export function addMembersHandler(members: MemberService, clock: Clock, quotas: MemberQuotas)
  : JobHandler<PairsPayload> {
  return (payload, ctx) => perImage(ctx, payload.images, payload.projects, async (trx, imageId, pending, results) => {
    const locked = await members.lockImage(imageId, trx);
    const image = locked?.image;
    const refused = !image ? 'IMG.0027' : ownerRefusal(image.owner, ctx, payload)
      ?? (image.visibility === 'public' || image.visibility === 'community' ? 'IMG.0089' : undefined);
    if (refused || !image) {
      results.push(...pending.map((p) => failed(imageId, p, refused ?? 'IMG.0027')));
      return;
    }
    const existing = new Set((await trx.selectFrom('image_members').select('member_id')
      .where('image_id', '=', imageId).where('member_id', 'in', pending).execute()).map((r) => r.member_id));
    const quota = memberQuota(image.extra, quotas);
    let count = locked!.members;
    const now = isoNow(clock);
    const rows: MemberRow[] = [];
    // A pair that succeeds leaves the project a member of a shared image, re-added ones included.
    let shares = false;
    for (const projectId of pending) {
      if (existing.has(projectId)) {
        results.push(ok(imageId, projectId));
        shares = true;
        continue;
      }
      const refusal = await members.refuseShare(image, projectId, trx);
      if (refusal) {
        results.push(failed(imageId, projectId, refusal.error.img ?? 'IMG.0112'));
      } else if (!withinQuota(quota, count)) {
        results.push(failed(imageId, projectId, 'IMG.0088'));
      } else {
        rows.push({ image_id: imageId, member_id: projectId, status: 'pending', vault_id: null,
          image_created_at: image.created_at, created_at: now, updated_at: now });
        results.push(ok(imageId, projectId));
        count++;
        shares = true;
      }
    }
    await members.repo.insertMany(rows, trx);
    if (shares && image.visibility === 'private') await members.markShared(imageId, now, trx);
  });
}

/** `imsUpdateImageMembersJob`: the recipient accepts or rejects; full-ECS images need a vault. */
export function updateMembersHandler(members: MemberService, clock: Clock): JobHandler<UpdatePayload> {
  return (payload, ctx) => perImage(ctx, payload.images, [payload.project_id],
    async (trx, imageId, [projectId], results) => {
      const image = (await members.lockImage(imageId, trx))?.image;
      const row = image && image.visibility === 'shared' ? await members.repo.get(imageId, projectId!, trx) : undefined;
      if (!image || !row) {
        results.push(failed(imageId, projectId!, 'IMG.0144'));
        return;
      }
      const { extra } = image;
      if (payload.status === 'accepted' && isWholeImage(extra) && extra.__backup_id && !payload.vault_id) {
        results.push(failed(imageId, projectId!, 'IMG.0184'));
        return;
      }
      await members.repo.updateStatus(imageId, projectId!, payload.status, payload.vault_id, isoNow(clock), trx);
      results.push(ok(imageId, projectId!));
    });
}

/** `imsDelImageMembersJob`: removing a project that is not a member succeeds (the end state holds). */
export function deleteMembersHandler(members: MemberService): JobHandler<PairsPayload> {
  return (payload, ctx) => perImage(ctx, payload.images, payload.projects, async (trx, imageId, pending, results) => {
    // Locked first, as every writer of an image's memberships does (see MemberRepo).
    const image = (await members.lockImage(imageId, trx))?.image;
    const refused = !image ? 'IMG.0027' : ownerRefusal(image.owner, ctx, payload);
    if (refused) {
      results.push(...pending.map((p) => failed(imageId, p, refused)));
      return;
    }
    await trx.deleteFrom('image_members').where('image_id', '=', imageId).where('member_id', 'in', pending).execute();
    results.push(...pending.map((p) => ok(imageId, p)));
  });
}
