import type { Store } from '../db/database.js';
import { type Clock, isoNow, PROJECT_ID_RE, UUID_RE } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import { isMemberId, type MemberStatus } from '../domain/member.js';
import { AppError, conflict, notFound } from '../errors/app-error.js';
import {
  cannotAddMembers, cannotDeleteMembers, cannotUpdateMembers, grantNotFound, grantsAdminOnly, kmsKeyIdIncorrect,
  kmsNotGranted, memberImageNotFound, memberMarkerInvalid, memberNotFound, memberQuotaExceeded, membersOnlyShared,
  organizationShare, projectIdIncorrect, selfShare, vaultRequired, wholeImageUnshareable,
} from '../errors/catalogue.js';
import type { FoundImage, ImageRepo } from '../repos/image-repo.js';
import type { KmsGrantRepo } from '../repos/kms-grant-repo.js';
import type { MemberRepo, MemberRow } from '../repos/member-repo.js';
import {
  acceptVault, addMember, deleteMember, getMember, getMembers, kmsKeyOf, type MemberQuotas, memberQuota,
  modifyMember, type Refusal, shareWith, withinQuota,
} from '../policy/sharing.js';

/** What the member API reads and writes. */
export interface MemberRepos {
  images: ImageRepo;
  members: MemberRepo;
  grants: KmsGrantRepo;
}

/** A member's new status, parsed in the HTTP layer; no vault keeps the stored one (IMS). */
export interface StatusChange {
  status: MemberStatus;
  vaultId?: string;
}

/** A refusal of `shareWith` (self-share, full-ECS, KMS grant) as the native API answers it. */
function shareError(refusal: Refusal, imageId: string, memberId: string, key = ''): AppError {
  if (refusal === 'self_share') return selfShare();
  if (refusal === 'whole_image') return wholeImageUnshareable();
  return kmsNotGranted(key, imageId, memberId);
}

/**
 * Image memberships through the native API, with Glance's check order (`ImageMembersController.create`,
 * glance/api/v2/image_members.py) and the IMS rules, all decided by the sharing policy (policy/sharing.ts); this
 * service reads the facts the rules need and renders their refusals.
 */
export class MemberService {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly quotas: MemberQuotas,
    private readonly repos: MemberRepos) {}

  /** `POST /v2/images/{id}/members`: 200 with a pending member, or the first failing check in Glance's order. */
  async add(ctx: RequestContext, imageId: string, memberId: string): Promise<MemberRow> {
    // Every check runs on the image as locked for the insert: one read, and no change can slip in between.
    return this.store.transaction(async (trx) => {
      const { lock, membership } = UUID_RE.test(imageId) ? await this.repos.images.lockFor(ctx, imageId, trx)
        : { lock: undefined, membership: undefined };
      const refused = addMember(ctx, lock?.image, membership);
      if (refused === 'image_not_found') throw memberImageNotFound(imageId);
      if (refused) throw cannotAddMembers(imageId);
      const { image: shared, members: count } = lock!;
      const key = kmsKeyOf(shared);
      const granted = key !== undefined && await this.repos.grants.isGranted(key, memberId, trx);
      const refusal = shareWith(shared, memberId, granted) ?? withinQuota(shared, count, this.quotas);
      if (refusal === 'quota') throw memberQuotaExceeded(imageId, count + 1, memberQuota(shared, this.quotas));
      if (refusal) throw shareError(refusal, imageId, memberId, key);
      const now = isoNow(this.clock);
      const row: MemberRow = {
        image_id: imageId, member_id: memberId, status: 'pending', vault_id: null, member_type: 'project', urn: null, image_created_at: shared.created_at,
        created_at: now, updated_at: now,
      };
      if (!(await this.repos.members.insert(lock!, row))) {
        throw conflict(`Member ${memberId} is duplicated for image ${imageId}`);
      }
      await this.repos.images.markShared(lock!, now);
      return row;
    });
  }

  /** `GET /v2/images/{id}/members`: owner and admins see every row, a member only its own. */
  async list(ctx: RequestContext, imageId: string): Promise<readonly MemberRow[]> {
    const { found, only } = await this.listScope(ctx, imageId);
    return this.repos.members.list(imageId, found.rev, only);
  }

  /**
   * A keyset page of the members (IMS ListImageMembers): the same rules as `list`, in creation order after the member
   * `after`; one row more than `limit` is fetched to tell whether another page follows.
   */
  async page(ctx: RequestContext, imageId: string, limit: number, after?: string)
    : Promise<{ rows: MemberRow[]; more: boolean }> {
    const { only } = await this.listScope(ctx, imageId);
    let marker: MemberRow | undefined;
    if (after !== undefined) {
      marker = isMemberId(after) ? await this.repos.members.get(imageId, after) : undefined;
      if (!marker || (only !== undefined && !only.includes(marker.member_id))) throw memberMarkerInvalid();
    }
    const rows = await this.repos.members.page(imageId, limit + 1, marker, only);
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  /** `GET /v2/images/{id}/members/{member}`: every refusal is a 404, so nothing leaks. */
  async show(ctx: RequestContext, imageId: string, memberId: string): Promise<MemberRow> {
    const found = await this.find(ctx, imageId);
    const refused = getMember(ctx, found?.image, found?.memberStatus, memberId, mine(ctx, found));
    if (refused === 'image_not_found') throw memberImageNotFound(imageId);
    if (refused === 'not_shared') throw notFound('Only shared images have members.');
    const row = !refused && isMemberId(memberId) ? await this.repos.members.find(imageId, found!.rev, memberId) : undefined;
    if (!row) throw memberNotFound(imageId, memberId);
    return row;
  }

  /** `PUT /v2/images/{id}/members/{member}`: the member (or an admin) sets its status, in Glance's order. */
  async update(ctx: RequestContext, imageId: string, memberId: string, change: StatusChange | AppError)
    : Promise<MemberRow> {
    const found = await this.find(ctx, imageId);
    const refused = modifyMember(ctx, found?.image, found?.memberStatus, memberId, found?.membership);
    if (refused === 'image_not_found') throw memberImageNotFound(imageId);
    if (refused === 'not_shared' || refused === 'owner_cannot_update') throw cannotUpdateMembers(imageId);
    if (refused === 'organization_share') throw organizationShare(imageId);
    // A project reached through its account changes the account's row.
    const target = memberId === ctx.projectId && !ctx.isAdmin && found?.membership ? found.membership.memberId
      : memberId;
    const row = !refused && isMemberId(target) ? await this.repos.members.find(imageId, found!.rev, target) : undefined;
    if (!row) throw memberNotFound(imageId, memberId);
    if (change instanceof AppError) throw change;
    const { status, vaultId } = change;
    if (acceptVault(found!.image, status, vaultId)) throw vaultRequired();
    const updated = await this.repos.members.updateStatus(imageId, target, status, vaultId, isoNow(this.clock));
    // Removed since it was read: as if the request had come a moment later.
    if (!updated) throw memberNotFound(imageId, memberId);
    return updated;
  }

  /** `DELETE /v2/images/{id}/members/{member}`: owner or admin only, a member cannot remove itself. */
  async remove(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    const found = await this.find(ctx, imageId);
    const refused = deleteMember(ctx, found?.image, found?.memberStatus);
    if (refused === 'image_not_found') throw memberImageNotFound(imageId);
    if (refused) throw cannotDeleteMembers(imageId);
    if (!isMemberId(memberId) || !(await this.repos.members.delete(imageId, memberId))) {
      throw memberNotFound(imageId, memberId);
    }
  }

  /** Records that a KMS key was granted to a project (an operator act: admins only). */
  async grantKey(ctx: RequestContext, keyId: string, projectId: string): Promise<void> {
    requireAdmin(ctx);
    if (!/^[\w:./-]{1,255}$/.test(keyId)) throw kmsKeyIdIncorrect(keyId);
    if (!PROJECT_ID_RE.test(projectId)) throw projectIdIncorrect(projectId);
    await this.repos.grants.grant(keyId, projectId, isoNow(this.clock));
  }

  async revokeKey(ctx: RequestContext, keyId: string, projectId: string): Promise<void> {
    requireAdmin(ctx);
    if (!(await this.repos.grants.revoke(keyId, projectId))) throw grantNotFound(keyId, projectId);
  }

  async listGrants(ctx: RequestContext, keyId?: string) {
    requireAdmin(ctx);
    return this.repos.grants.list(keyId);
  }

  /** Glance `get_members`: the image, and whose rows the caller lists (undefined: every row). */
  private async listScope(ctx: RequestContext, imageId: string)
    : Promise<{ found: FoundImage; only?: readonly string[] }> {
    const found = await this.find(ctx, imageId);
    const scope = getMembers(ctx, found?.image, found?.memberStatus);
    if (scope === 'image_not_found') throw memberImageNotFound(imageId);
    if (scope !== 'all' && scope !== 'own') throw membersOnlyShared(imageId);
    return { found: found!, ...(scope === 'own' ? { only: mine(ctx, found) } : {}) };
  }

  /** The image (its rev, and the caller's membership) if it exists; whether the caller may see it is the policy's. */
  private async find(ctx: RequestContext, imageId: string): Promise<FoundImage | undefined> {
    return UUID_RE.test(imageId) ? this.repos.images.getWithMembership(imageId, ctx.projectId) : undefined;
  }
}

/** The member rows that are the caller's: its own, and its membership's (its account's, an organization's). */
const mine = (ctx: RequestContext, found: FoundImage | undefined): string[] =>
  (found?.membership && found.membership.memberId !== ctx.projectId
    ? [ctx.projectId, found.membership.memberId] : [ctx.projectId]);

function requireAdmin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw grantsAdminOnly();
}
