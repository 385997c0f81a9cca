import type { Image } from '../domain/image.js';
import type { Viewer } from './visibility.js';

/** Glance `check_is_image_mutable`: admins, and the owning project. */
export const canModify = (ctx: Viewer, image: Pick<Image, 'owner'>): boolean =>
  ctx.isAdmin || (image.owner !== null && image.owner === ctx.projectId);
