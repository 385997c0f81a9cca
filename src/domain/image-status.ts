import { forbidden } from '../errors/app-error.js';
import type { ImageStatus } from './image.js';

export type ImageAction = 'deactivate' | 'reactivate';

/** Each action: the status it starts from, and the status it leads to (Glance `Image.deactivate`/`reactivate`). */
const ACTIONS: Record<ImageAction, { from: ImageStatus; to: ImageStatus }> = {
  deactivate: { from: 'active', to: 'deactivated' },
  reactivate: { from: 'deactivated', to: 'active' },
};

/**
 * The status change an action asks for: `{from, to}` when the image must move, undefined when it is
 * already where the action leads (a no-op, as in Glance). Any other status is refused with a 403.
 */
export function actionTransition(action: ImageAction, status: ImageStatus)
  : { from: ImageStatus; to: ImageStatus } | undefined {
  const { from, to } = ACTIONS[action];
  if (status === to) return undefined;
  if (status === from) return { from, to };
  throw forbidden(`Not allowed to ${action} image in status '${status}'`);
}

/** Whether the caller may read the image's data: a deactivated image's data is for admins only. */
export function checkDownloadable(status: ImageStatus, isAdmin: boolean): void {
  if (status === 'deactivated' && !isAdmin) {
    throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
  }
}

/** Statuses in which an image has data to download. */
export const hasData = (status: ImageStatus): boolean => status === 'active' || status === 'deactivated';
