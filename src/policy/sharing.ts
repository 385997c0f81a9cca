/**
 * The sharing rules, each written once as a function of the caller, the image and the caller's membership, and called
 * alike by the native member API (services/member-service.ts), the batch submit (services/batch-member-service.ts) and
 * the batch jobs (jobs/member-handlers.ts). Glance's rules carry its policy names (glance/policies/image.py); the IMS
 * rules are Huawei's (API reference, Restrictions on Image Sharing). A rule answers with the refusal that applies, or
 * undefined; each path renders a refusal in its own dialect (errors/catalogue.ts).
 */
import type { Image } from '../domain/image.js';
import { isWholeImage, type MemberStatus } from '../domain/member.js';
import { canSee, type Membership, type Viewer } from './visibility.js';

/** Why a sharing operation is refused. */
export type Refusal =
  /** The image does not exist, or the caller cannot see it. */
  | 'image_not_found'
  /** Only the owner (or an admin) may add or remove members. */
  | 'not_owner'
  /** Public and community images are everyone's: they are not shared with members. */
  | 'not_shareable'
  /** Member operations other than adding need a shared image. */
  | 'not_shared'
  /** The owner does not accept or reject its own image. */
  | 'owner_cannot_update'
  /** No such member, or not one the caller may see. */
  | 'member_not_found'
  /** IMS: the batch APIs share active images only. */
  | 'unavailable'
  /** IMS: an image is not shared with its own owner. */
  | 'self_share'
  /** IMS: a full-ECS image is shared only when made from a CBR backup. */
  | 'whole_image'
  /** IMS: a KMS-encrypted image is shared only with projects its key was granted to. */
  | 'kms_not_granted'
  /** IMS: the image has all the members its quota allows. */
  | 'quota'
  /** IMS: accepting a full-ECS image made from a CBR backup names a vault. */
  | 'vault_required'
  /** IMS: a share with an organization needs no acceptance; its accounts do not accept or reject it. */
  | 'organization_share'
  /** IMS: the account or organization node to share with does not exist. */
  | 'target_not_found';

/** What the rules read of an image. */
export type SharedImage = Pick<Image, 'owner' | 'visibility' | 'status' | 'extra'>;

/** Members allowed per image (`--member-quota`, `--whole-image-member-quota`); negative means unlimited. */
export interface MemberQuotas {
  member: number;
  wholeImage: number;
}

const owns = (caller: Viewer, image: SharedImage) => caller.isAdmin || image.owner === caller.projectId;

/** Glance `get_image`: a missing image and one the caller cannot see are the same refusal. */
export function getImage(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | undefined {
  return image && canSee(caller, image, membership) ? undefined : 'image_not_found';
}

/**
 * Glance `add_member`, as IMS has it: the owner (or an admin) of a private or shared image (IMS shares private
 * images; the first member makes them shared). Public and community images are refused.
 */
export function addMember(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | undefined {
  return ownImage(caller, image, membership) ?? shareable(image!);
}

/** Public and community images are everyone's: they are not shared with members. */
const shareable = (image: SharedImage): Refusal | undefined =>
  (image.visibility === 'public' || image.visibility === 'community' ? 'not_shareable' : undefined);

/** Glance `delete_member`: the owner (or an admin) of a shared image. */
export function deleteMember(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | undefined {
  return getImage(caller, image, membership) ?? (image!.visibility !== 'shared' ? 'not_shared' : undefined)
    ?? (!owns(caller, image!) ? 'not_owner' : undefined);
}

/**
 * The image exists for the caller and is its own (or the caller is an admin). Also the whole rule of IMS batch delete
 * (BatchDeleteMembers): the owner removes members whatever the image's visibility now is, so a share can be undone
 * after the image went private or public.
 */
export function ownImage(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | undefined {
  return getImage(caller, image, membership) ?? (!owns(caller, image!) ? 'not_owner' : undefined);
}

/** Whose membership the IMS batch rules read: a non-admin's, of any image not its own (whatever its visibility). */
export const batchMembershipMatters = (caller: Viewer, image: Pick<SharedImage, 'owner'>): boolean =>
  !caller.isAdmin && image.owner !== caller.projectId;

/**
 * IMS batch delete, and the ownership part of batch add: `ownImage`, but a project the image is shared
 * with (any status, whatever the image's visibility now) knows the image exists, and is refused as not its owner
 * (IMG.0047) rather than told it does not exist (IMG.0027).
 */
export function batchOwnImage(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | undefined {
  return image && membership !== undefined && !owns(caller, image) ? 'not_owner' : ownImage(caller, image, membership);
}

/** IMS batch add (BatchAddMembers): `batchOwnImage`, and a shareable image, as `addMember`. */
export function batchAddMember(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | undefined {
  return batchOwnImage(caller, image, membership) ?? shareable(image!);
}

/**
 * Glance `get_members`: whose rows the caller may list on a shared image: every row for the owner and admins
 * (`all`), else its own row only.
 */
export function getMembers(caller: Viewer, image: SharedImage | undefined, membership: Membership)
  : Refusal | 'all' | 'own' {
  return getImage(caller, image, membership) ?? (image!.visibility !== 'shared' ? 'not_shared' : undefined)
    ?? (owns(caller, image!) ? 'all' : 'own');
}

/**
 * Glance `get_member`: one row, for the owner and admins any, for a member its own: the rows of the member ids it
 * answers to (`mine`: its project and its membership's row, MemberService).
 */
export function getMember(caller: Viewer, image: SharedImage | undefined, membership: Membership, memberId: string,
  mine: readonly string[] = [caller.projectId]): Refusal | undefined {
  const scope = getMembers(caller, image, membership);
  if (scope !== 'all' && scope !== 'own') return scope;
  return scope === 'all' || mine.includes(memberId) ? undefined : 'member_not_found';
}

/** Which member row a recipient's status change applies to: its membership's (its own, its account's...). */
export interface MembershipRow {
  memberId: string;
  memberType: 'project' | 'domain' | 'organization';
}

/**
 * Glance `modify_member`: a member sets its own status (an admin any member's); the owner cannot, even of a row
 * it could see. A project reached through its account names itself or its account (`row`, its membership): an
 * account's status is the account's, set by any of its projects. A share with an organization needs no acceptance.
 */
export function modifyMember(caller: Viewer, image: SharedImage | undefined, membership: Membership,
  memberId: string, row?: MembershipRow): Refusal | undefined {
  return getImage(caller, image, membership) ?? (image!.visibility !== 'shared' ? 'not_shared' : undefined)
    ?? (!caller.isAdmin && image!.owner === caller.projectId ? 'owner_cannot_update' : undefined)
    ?? (caller.isAdmin || memberId === caller.projectId || memberId === row?.memberId ? undefined : 'member_not_found')
    ?? (!caller.isAdmin && row?.memberType === 'organization' ? 'organization_share' : undefined);
}

/**
 * IMS: the batch APIs share active images only (`IMG.0046` "The image is unavailable."; Glance adds members to queued
 * images).
 */
export const shareAvailable = (image: SharedImage): Refusal | undefined =>
  (image.status === 'active' ? undefined : 'unavailable');

/** IMS: an image is not shared with its owner (`IMG.0076`). */
export const selfShare = (image: SharedImage, projectId: string): Refusal | undefined =>
  (image.owner === projectId ? 'self_share' : undefined);

/** IMS: the KMS key an image is encrypted with, if any. */
export const kmsKeyOf = (image: SharedImage): string | undefined => image.extra.__system__cmkid || undefined;

/**
 * IMS rules on the project an image is shared with (Restrictions on Image Sharing): not its owner; a full-ECS image
 * only if made from a CBR backup; a KMS-encrypted image only if its key was granted to the project (`keyGranted`,
 * looked up by the caller for `kmsKeyOf(image)`).
 */
export function shareWith(image: SharedImage, projectId: string, keyGranted: boolean): Refusal | undefined {
  if (selfShare(image, projectId)) return 'self_share';
  if (isWholeImage(image.extra) && !image.extra.__backup_id) return 'whole_image';
  return kmsKeyOf(image) !== undefined && !keyGranted ? 'kms_not_granted' : undefined;
}

/** Members this image may have: the full-ECS quota for full-ECS images. */
export const memberQuota = (image: SharedImage, quotas: MemberQuotas): number =>
  (isWholeImage(image.extra) ? quotas.wholeImage : quotas.member);

/**
 * IMS quota (256 members, 10 for a full-ECS image: Restrictions on Image Sharing): whether one more member fits beside
 * `count`.
 */
export function withinQuota(image: SharedImage, count: number, quotas: MemberQuotas): Refusal | undefined {
  const quota = memberQuota(image, quotas);
  return quota < 0 || count < quota ? undefined : 'quota';
}

/** IMS (BatchUpdateMembers `vault_id`): accepting a full-ECS image made from a CBR backup needs a vault. */
export function acceptVault(image: SharedImage, status: MemberStatus, vaultId: string | null | undefined)
  : Refusal | undefined {
  return status === 'accepted' && isWholeImage(image.extra) && image.extra.__backup_id && !vaultId
    ? 'vault_required' : undefined;
}
