/**
 * Who sees which image: the one definition. Showing an image follows Glance's `is_image_visible` (glance/db/utils.py);
 * listing follows its list query (`image_get_all`, glance/db/sqlalchemy/api.py). The list SQL
 * (repos/image-list-query.ts) and the triggers that renew cached lists are checked against these functions by a
 * property test (test/contract/visibility.test.ts).
 */
import type { Image, ImageType, Visibility } from '../domain/image.js';
import type { MemberStatus } from '../domain/member.js';

/** Who is looking: a project, or a cloud admin (who sees every image). */
export interface Viewer {
  projectId: string;
  isAdmin: boolean;
}

/** What visibility depends on. */
export type Seen = Pick<Image, 'owner' | 'visibility'>;

/**
 * The caller's membership of the image (any status), or undefined: its project's own, else the nearest share with
 * its account or an organization node above it (ImageRepo.membership, docs/compatibility.md).
 */
export type Membership = MemberStatus | undefined;

/** Whether the viewer's membership decides: a shared image of another owner, seen by a non-admin. */
export const membershipMatters = (viewer: Viewer, image: Seen): boolean =>
  !viewer.isAdmin && image.visibility === 'shared' && image.owner !== null && image.owner !== viewer.projectId;

/**
 * Glance `get_image` (`is_image_visible`): admins; ownerless images; public and community images; the owner; and
 * members (any status) of a shared image.
 */
export function canSee(viewer: Viewer, image: Seen, membership: Membership): boolean {
  if (!membershipMatters(viewer, image)) {
    return viewer.isAdmin || image.owner === null || image.owner === viewer.projectId || image.visibility !== 'private';
  }
  return membership !== undefined;
}

/**
 * IMS `__imagetype`: what the image is to the viewer. `gold` for public (and community) images, `private` for the
 * viewer's own, `shared` for images others shared with it. An image the viewer neither owns nor was shared (an
 * admin's view of another project's image, an ownerless one) is typed by its visibility.
 */
export function imageTypeFor(viewer: Viewer, image: Seen): ImageType {
  if (image.visibility === 'public' || image.visibility === 'community') return 'gold';
  if (image.owner !== null && image.owner === viewer.projectId) return 'private';
  return image.visibility === 'shared' ? 'shared' : 'private';
}

/**
 * The list filters visibility depends on: `visibility` (none, one, or `all`), `member_status`, and the IMS
 * `__imagetype` (`market` lists nothing here).
 */
export interface ListScope {
  visibility?: Visibility | 'all';
  memberStatus: MemberStatus | 'all';
  imagetype?: ImageType | 'market';
}

/**
 * Whether an image is in the viewer's list (Glance's `image_get_all`), before any other filter: for a non-admin, public
 * and community images, the viewer's own images (whatever `member_status` says), and shared images of others it is a
 * member of with the asked status. Unlike showing, an ownerless image is not listed unless public or community, as in
 * Glance. `visibility` narrows to one value; without it, community images are left out unless the viewer owns them.
 */
export function isListed(viewer: Viewer, image: Seen, membership: Membership, scope: ListScope): boolean {
  if (scope.imagetype !== undefined && scope.imagetype !== imageTypeFor(viewer, image)) return false;
  const v = scope.visibility;
  if (v !== undefined && v !== 'all' && image.visibility !== v) return false;
  const own = image.owner !== null && image.owner === viewer.projectId;
  if (v === undefined && image.visibility === 'community' && !own) return false;
  if (viewer.isAdmin || own || image.visibility === 'public' || image.visibility === 'community') return true;
  return image.visibility === 'shared' && membership !== undefined
    && (scope.memberStatus === 'all' || membership === scope.memberStatus);
}
