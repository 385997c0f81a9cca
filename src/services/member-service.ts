import type { Kysely, Transaction } from 'kysely';
import type { CacheSpace } from '../cache/cache-space.js';
import type { Store } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { type Clock, isoNow } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import type { Image } from '../domain/image.js';
import { clip } from '../domain/clip.js';
import { isMemberId, isWholeImage, memberQuota, type MemberStatus, withinQuota } from '../domain/member.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors/app-error.js';
import { KmsGrantRepo } from '../repos/kms-grant-repo.js';
import type { FoundImage, LockedImage } from '../repos/image-repo.js';
import { type MemberRow, MemberRepo } from '../repos/member-repo.js';
import type { ImageService } from './image-service.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface MemberQuotas {
  member: number;
  wholeImage: number;
}

const imageNotFound = (id: string) => notFound(`Image ${clip(id)} not found.`, 'IMG.0027');
const memberNotFound = (imageId: string, memberId: string) =>
  notFound(`${clip(memberId)} not found in the member list of the image ${imageId}.`, 'IMG.0144');

/** A member's new status, parsed in the HTTP layer; no vault keeps the stored one (IMS). */
export interface StatusChange {
  status: MemberStatus;
  vaultId?: string;
}

/** Why a member cannot be added to an image, whatever API asked: shared by the Glance and IMS paths. */
export interface ShareRefusal {
  error: AppError;
}

/**
 * Image memberships with Glance's check order (glance-members.md §1) plus the IMS rules
 * (ims-sharing.md §5): private images may be shared (they become `shared`), self-share, per-image
 * quotas, full-ECS and KMS-encrypted images.
 */
export class MemberService {
  readonly repo: MemberRepo;
  readonly grants: KmsGrantRepo;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly quotas: MemberQuotas,
    private readonly images: ImageService, caches: CacheSpace) {
    this.repo = new MemberRepo(store, caches);
    this.grants = new KmsGrantRepo(store.db);
  }

  /** `POST /v2/images/{id}/members`: 200 with a pending member, or the first failing check of §1.2. */
  async add(ctx: RequestContext, imageId: string, memberId: string): Promise<MemberRow> {
    // Every check runs on the image as locked for the insert: one read, and no change can slip in between.
    return this.store.transaction(async (trx) => {
      const locked = await this.images.lockVisibleCounted(ctx, imageId, trx);
      if (!locked) throw imageNotFound(imageId);
      const { image, members: count } = locked;
      const denied = () => forbidden(`Not allowed to create members for image ${imageId}.`, 'IMG.0047');
      if (image.visibility === 'public' || image.visibility === 'community') throw denied();
      if (!ctx.isAdmin && image.owner !== ctx.projectId) throw denied();
      const refusal = await this.refuseShare(image, memberId, trx);
      if (refusal) throw refusal.error;
      const quota = memberQuota(image.extra, this.quotas);
      if (!withinQuota(quota, count)) throw quotaExceeded(imageId, count + 1, quota);
      const now = isoNow(this.clock);
      const row: MemberRow = {
        image_id: imageId, member_id: memberId, status: 'pending', vault_id: null, image_created_at: image.created_at,
        created_at: now, updated_at: now,
      };
      if (!(await this.repo.insert(row, trx))) {
        throw conflict(`Member ${memberId} is duplicated for image ${imageId}`);
      }
      if (image.visibility === 'private') await this.markShared(imageId, now, trx);
      return row;
    });
  }

  /** `GET /v2/images/{id}/members`: owner and admins see every row, a member only its own. */
  async list(ctx: RequestContext, imageId: string): Promise<readonly MemberRow[]> {
    const { image, rev } = await this.visibleImage(ctx, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to list members for image ${imageId}: Only shared images have members.`);
    }
    const all = ctx.isAdmin || image.owner === ctx.projectId;
    return this.repo.list(imageId, rev, all ? undefined : ctx.projectId);
  }

  /**
   * A keyset page of the members (IMS E4): the same rules as `list`, in creation order after the member
   * `after`; one row more than `limit` is fetched to tell whether another page follows.
   */
  async page(ctx: RequestContext, imageId: string, limit: number, after?: string)
    : Promise<{ rows: MemberRow[]; more: boolean }> {
    const { image } = await this.visibleImage(ctx, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to list members for image ${imageId}: Only shared images have members.`, 'IMG.0161');
    }
    const only = ctx.isAdmin || image.owner === ctx.projectId ? undefined : ctx.projectId;
    let marker: MemberRow | undefined;
    if (after !== undefined) {
      marker = isMemberId(after) ? await this.repo.get(imageId, after) : undefined;
      if (!marker || (only !== undefined && marker.member_id !== only)) {
        throw badRequest('The marker is invalid: no such member of this image.', 'IMG.0001');
      }
    }
    const rows = await this.repo.page(imageId, limit + 1, marker, only);
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  /** `GET /v2/images/{id}/members/{member}`: every refusal is a 404, so nothing leaks. */
  async show(ctx: RequestContext, imageId: string, memberId: string): Promise<MemberRow> {
    const { image, rev } = await this.visibleImage(ctx, imageId);
    if (image.visibility !== 'shared') throw notFound('Only shared images have members.');
    const allowed = ctx.isAdmin || image.owner === ctx.projectId || memberId === ctx.projectId;
    const row = allowed && isMemberId(memberId) ? await this.repo.find(imageId, rev, memberId) : undefined;
    if (!row) throw memberNotFound(imageId, memberId);
    return row;
  }

  /** `PUT /v2/images/{id}/members/{member}`: the member (or an admin) sets its status; §1.5 order. */
  async update(ctx: RequestContext, imageId: string, memberId: string, change: StatusChange | AppError)
    : Promise<MemberRow> {
    const { image, rev } = await this.visibleImage(ctx, imageId);
    const denied = () => forbidden(`Not allowed to update members for image ${imageId}.`, 'IMG.0026');
    if (image.visibility !== 'shared') throw denied();
    if (!ctx.isAdmin && image.owner === ctx.projectId) throw denied();
    const allowed = ctx.isAdmin || memberId === ctx.projectId;
    const row = allowed && isMemberId(memberId) ? await this.repo.find(imageId, rev, memberId) : undefined;
    if (!row) throw memberNotFound(imageId, memberId);
    if (change instanceof AppError) throw change;
    const { status } = change;
    const vault = acceptVault(image, status, change.vaultId);
    const updated = await this.repo.updateStatus(imageId, memberId, status, vault, isoNow(this.clock));
    // Removed since it was read: as if the request had come a moment later.
    if (!updated) throw memberNotFound(imageId, memberId);
    return updated;
  }

  /** `DELETE /v2/images/{id}/members/{member}`: owner or admin only, a member cannot remove itself. */
  async remove(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    const { image } = await this.visibleImage(ctx, imageId);
    const denied = () => forbidden(`Not allowed to delete members for image ${imageId}.`, 'IMG.0047');
    if (image.visibility !== 'shared') throw denied();
    if (!ctx.isAdmin && image.owner !== ctx.projectId) throw denied();
    if (!isMemberId(memberId) || !(await this.repo.delete(imageId, memberId))) throw memberNotFound(imageId, memberId);
  }

  /** Records that a KMS key was granted to a project (an operator act: admins only). */
  async grantKey(ctx: RequestContext, keyId: string, projectId: string): Promise<void> {
    requireAdmin(ctx);
    checkGrantIds(keyId, projectId);
    await this.grants.grant(keyId, projectId, isoNow(this.clock));
  }

  async revokeKey(ctx: RequestContext, keyId: string, projectId: string): Promise<void> {
    requireAdmin(ctx);
    if (!(await this.grants.revoke(keyId, projectId))) {
      throw notFound(`Key ${clip(keyId)} is not granted to project ${clip(projectId)}.`, 'IMG.0095');
    }
  }

  async listGrants(ctx: RequestContext, keyId?: string) {
    requireAdmin(ctx);
    return this.grants.list(keyId);
  }

  /**
   * IMS rules that hold for any way of adding a member: no self-share, full-ECS images only from CBR
   * backups, KMS-encrypted images only with projects the key was granted to.
   */
  async refuseShare(image: Image, memberId: string, trx: Db = this.store.db): Promise<ShareRefusal | undefined> {
    if (image.owner === memberId) {
      return { error: badRequest('You cannot share an image with yourself.', 'IMG.0076') };
    }
    const { extra } = image;
    if (isWholeImage(extra) && !extra.__backup_id) {
      return { error: forbidden('The full-ECS image cannot be shared: only full-ECS images created from a CBR backup '
        + 'can be shared.', 'IMG.0135') };
    }
    const key = extra.__system__cmkid;
    if (key && !(await this.grants.isGranted(key, memberId, trx))) {
      return { error: forbidden(`The KMS key ${clip(key)} of image ${image.id} has not been granted to project `
        + `${memberId}; authorize the key for that project first.`, 'IMG.0099') };
    }
    return undefined;
  }

  /** Row lock on PostgreSQL; SQLite's write transaction already excludes every other writer. */
  lockImage(imageId: string, trx: Transaction<Database>): Promise<LockedImage | undefined> {
    return this.images.repo.lock(imageId, trx);
  }

  /** IMS shares private images: adding the first member makes the image `shared`. */
  async markShared(imageId: string, now: string, trx: Transaction<Database>): Promise<void> {
    await trx.updateTable('images').set({ visibility: 'shared', updated_at: now }).where('id', '=', imageId)
      .where('visibility', '=', 'private').execute();
  }

  /** The image (and its rev) if the caller may see it (§2.1), else 404 "Image {id} not found.". */
  private async visibleImage(ctx: RequestContext, imageId: string): Promise<FoundImage> {
    const found = await this.images.findVisible(ctx, imageId);
    if (!found) throw imageNotFound(imageId);
    return found;
  }
}

function requireAdmin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw forbidden('You do not have permission: KMS key grants are managed by cloud admins.', 'IMG.0161');
}

function checkGrantIds(keyId: string, projectId: string): void {
  if (!/^[\w:./-]{1,255}$/.test(keyId)) throw badRequest(`The KMS key ID is incorrect: ${clip(keyId)}`, 'IMG.0001');
  if (!/^[0-9a-f]{32}$/.test(projectId)) throw badRequest(`The project ID is incorrect: ${clip(projectId)}`, 'IMG.0067');
}

export function quotaExceeded(imageId: string, attempted: number, quota: number): AppError {
  return new AppError('quota_exceeded', `Image member limit exceeded for image ${imageId}: The limit has been `
    + `exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${quota}:`,
  { img: 'IMG.0088' });
}

/**
 * The vault to record when a member accepts: mandatory for a full-ECS image made from a CBR backup
 * (`__whole_image=true` with `__backup_id`), else whatever was given (undefined keeps the stored one).
 */
export function acceptVault(image: Image, status: MemberStatus, vaultId: string | undefined): string | undefined {
  const { extra } = image;
  if (status === 'accepted' && isWholeImage(extra) && extra.__backup_id && !vaultId) {
    throw badRequest('vault_id is mandatory when accepting a full-ECS image created from a CBR backup.', 'IMG.0184');
  }
  return vaultId;
}
