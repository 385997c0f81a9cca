import type { Readable } from 'node:stream';
import type { Transaction } from 'kysely';
import type { Store } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { clip } from '../domain/clip.js';
import { type Clock, isoNow, UUID_RE, uuid } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import {
  checkDbInt, type Image, newImage, PROPERTY_QUOTA, TAG_QUOTA, virtualSizeOf,
} from '../domain/image.js';
import type { NewImageInput } from '../domain/image-input.js';
import { applyChanges, type ImageChange } from '../domain/image-patch.js';
import type { ImageListQuery } from '../domain/image-query.js';
import { validateImageDocument } from '../domain/image-schema.js';
import { actionTransition, checkDownloadable, hasData, type ImageAction } from '../domain/image-status.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors/app-error.js';
import type { DataFields, FoundImage, ImageRepo } from '../repos/image-repo.js';
import type { UploadRepo } from '../repos/upload-repo.js';
import { canModify } from '../policy/images.js';
import { canSee } from '../policy/visibility.js';
import { ImageDataStore } from '../storage/image-data.js';

export interface ImagePage {
  images: readonly Image[];
  /** The page was full: there may be more, and the list links to the next page. */
  full: boolean;
}

const noImage = (id: string) => notFound(`No image found with ID ${clip(id)}`);
const notFoundToDelete = (id: string) => notFound(`Failed to find image ${clip(id)} to delete`);
const tagImageNotFound = (id: string) => notFound(`Image ${clip(id)} not found.`);
const deletedDuringUpload = (id: string) => conflict(`Image ${id} could not be found after upload. The image may have `
  + 'been deleted during the upload, cleaning up the chunks uploaded.');
const notOwner = () => forbidden('You do not own this image');

function quotaExceeded(what: 'properties' | 'tags', attempted: number, maximum: number): AppError {
  return new AppError('quota_exceeded', `The limit has been exceeded on the number of allowed image ${what}. `
    + `Attempted: ${attempted}, Maximum: ${maximum}`);
}

function checkQuotas(image: Pick<Image, 'extra' | 'tags'>): void {
  const properties = Object.keys(image.extra).length;
  if (properties > PROPERTY_QUOTA) throw quotaExceeded('properties', properties, PROPERTY_QUOTA);
  if (image.tags.length > TAG_QUOTA) throw quotaExceeded('tags', image.tags.length, TAG_QUOTA);
}

/** Glance policy `publicize_image` (admin only); `communitize_image` is open to the owner under Zed's defaults. */
function checkVisibilityChange(ctx: RequestContext, visibility: unknown): void {
  if (visibility === 'public' && !ctx.isAdmin) {
    throw forbidden('You are not authorized to complete publicize_image action.');
  }
}

/** Errors of the data path, as Glance reports them; anything else stays a server fault. */
function uploadError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const message = (err as Error | null)?.message ?? '';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError('payload_too_large', `Image storage media is full: ${message}`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new AppError('unavailable', 'Insufficient permissions on image storage media.');
  }
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || message === 'aborted') {
    return badRequest('The image data was not completely received.');
  }
  return err;
}

/**
 * Glance v2 images: create, show, list, update (JSON patch), delete, data upload and download.
 * Policy (visibility, ownership, publicize_image) is checked here and only here.
 */
/** Where image data goes, and how uploads in progress are known to be alive. */
export interface ImageStorageOptions {
  dataDir: string;
  /** An upload's lease: renewed while data streams, past it the upload counts as dead (its process died). */
  uploadLeaseMs: number;
  /** This process, as the owner of the uploads it streams. */
  instanceId: string;
}

export class ImageService {
  private readonly repo: ImageRepo;
  private readonly uploads: UploadRepo;
  private readonly data: ImageDataStore;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly storage: ImageStorageOptions,
    repos: { images: ImageRepo; uploads: UploadRepo }) {
    this.repo = repos.images;
    this.uploads = repos.uploads;
    this.data = new ImageDataStore(storage.dataDir);
  }

  /**
   * The image if it exists and the caller may see it (Glance's `is_image_visible`), with the caller's membership
   * status.
   */
  async findVisible(ctx: RequestContext, id: string): Promise<FoundImage | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const found = await this.repo.getWithMembership(id, ctx.projectId);
    return found && canSee(ctx, found.image, found.memberStatus) ? found : undefined;
  }

  /** The image, row-locked for the rest of `trx`, if the caller may see it. */
  async lockVisible(ctx: RequestContext, id: string, trx: Transaction<Database>): Promise<Image | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const { lock, membership } = await this.repo.lockFor(ctx, id, trx);
    return lock && canSee(ctx, lock.image, membership) ? lock.image : undefined;
  }

  /** `POST /v2/images`: 201 with the new queued image. */
  async create(ctx: RequestContext, input: NewImageInput): Promise<Image> {
    const owner = input.owner === undefined ? ctx.projectId : input.owner;
    if (!ctx.isAdmin && owner !== ctx.projectId) {
      throw forbidden(`You are not permitted to create images owned by '${owner ?? 'None'}'.`);
    }
    checkVisibilityChange(ctx, input.fields.visibility);
    checkQuotas(input);
    if (input.readOnly !== undefined) throw forbidden(`Attribute '${input.readOnly}' is read-only.`);
    if (input.fields.min_ram !== undefined) checkDbInt('min_ram', input.fields.min_ram);
    if (input.fields.min_disk !== undefined) checkDbInt('min_disk', input.fields.min_disk);
    const image = newImage({
      ...input.fields, id: input.fields.id ?? uuid(), owner: owner || null, created_at: isoNow(this.clock),
      tags: input.tags, extra: input.extra,
    });
    if (!(await this.repo.insert(image))) throw conflict(`Image ID ${image.id} already exists!`);
    return image;
  }

  /** `GET /v2/images/{id}`. */
  async show(ctx: RequestContext, id: string): Promise<Image> {
    const found = await this.findVisible(ctx, id);
    if (!found) throw noImage(id);
    return found.image;
  }

  /** `GET /v2/images`: one keyset page of what the caller may list (Glance's `image_get_all`). */
  async list(ctx: RequestContext, query: ImageListQuery): Promise<ImagePage> {
    let marker: Image | undefined;
    if (query.marker !== undefined) {
      marker = (await this.findVisible(ctx, query.marker))?.image;
      if (!marker) throw badRequest(`No image found with ID ${clip(query.marker)}`);
    }
    const images = await this.repo.list(ctx, query, marker);
    return { images, full: images.length > 0 && images.length === query.limit };
  }

  /** `PATCH /v2/images/{id}`: the changes in order, each behind its policy checks; 200 with the result. */
  async update(ctx: RequestContext, id: string, changes: readonly ImageChange[]): Promise<Image> {
    return this.store.transaction(async (trx) => {
      const current = await this.lockVisible(ctx, id, trx);
      if (!current) throw noImage(id);
      if (changes.length === 0) return current;
      const ownership = () => { if (!canModify(ctx, current)) throw notOwner(); };
      const updated = applyChanges(current, changes, {
        isAdmin: ctx.isAdmin,
        property: (name, value) => {
          if (name === 'visibility') checkVisibilityChange(ctx, value);
          ownership();
        },
        modify: ownership,
      });
      checkQuotas(updated);
      updated.updated_at = isoNow(this.clock);
      if (!(await this.repo.update(id, updated, trx))) throw noImage(id);
      return updated;
    });
  }

  /** `DELETE /v2/images/{id}`: owner or admin, never a protected image; members and data go with it. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const tempFile = await this.store.transaction(async (trx) => {
      const image = await this.lockVisible(ctx, id, trx);
      if (!image) throw notFoundToDelete(id);
      if (!canModify(ctx, image)) throw notOwner();
      if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
      const temp = image.status === 'saving' ? await this.uploads.tempFile(id, trx) : undefined;
      if (!(await this.repo.delete(id, trx))) throw notFoundToDelete(id);
      return temp;
    });
    await this.data.remove(id, tempFile);
  }

  /**
   * `PUT /v2/images/{id}/file`: queued -> saving -> active with size, checksums and virtual size. A failed
   * upload leaves no data and puts the image back to queued, so the upload can be retried.
   */
  async upload(ctx: RequestContext, id: string, source: Readable): Promise<void> {
    // The source may fail (a client gone) before it is piped: its error then reaches the pipe (a premature close),
    // not the process as an unhandled 'error' event.
    source.on('error', () => {});
    const found = await this.findVisible(ctx, id);
    if (!found) throw noImage(id);
    const { image } = found;
    if (!canModify(ctx, image)) throw forbidden(`Not allowed to upload image data for image ${id}`);
    const transitionRefused = (status: string) =>
      conflict(`Image status transition from ${status} to saving is not allowed`);
    if (image.status !== 'queued') throw transitionRefused(image.status);
    const missing = (['disk_format', 'container_format'] as const).filter((k) => !image[k]);
    if (missing.length > 0) {
      throw badRequest(`${missing.length === 1 ? 'Property' : 'Properties'} ${missing.join(', ')} must be set prior `
        + 'to saving data.');
    }
    const tempFile = this.data.tempName(id);
    if (!(await this.beginUpload(id, tempFile))) {
      const now = await this.repo.get(id);
      if (!now) throw noImage(id);
      throw transitionRefused(now.status);
    }
    const { instanceId, uploadLeaseMs } = this.storage;
    const renewal = setInterval(() => {
      this.uploads.renew(id, instanceId, this.leaseEnd()).catch(() => { /* the store logs the fault; renewed next time */ });
    }, Math.max(100, Math.floor(uploadLeaseMs / 3)));
    let stored;
    try {
      stored = await this.data.write(id, source, tempFile);
    } catch (err) {
      clearInterval(renewal);
      // Deleted meanwhile (which removed the temp file under the upload): Glance's 409.
      if (!(await this.endUpload(id, 'queued'))) throw deletedDuringUpload(id);
      throw uploadError(err);
    }
    clearInterval(renewal);
    const active = await this.endUpload(id, 'active', {
      size: stored.size, checksum: stored.md5, os_hash_algo: 'sha512', os_hash_value: stored.sha512,
      virtual_size: virtualSizeOf(image.disk_format, stored.size, stored.head),
    });
    if (!active) {
      await this.data.remove(id);
      throw deletedDuringUpload(id);
    }
  }

  private leaseEnd(): string {
    return new Date(this.clock.now().getTime() + this.storage.uploadLeaseMs).toISOString();
  }

  /** queued -> saving, with the upload's row (its lease) in the same transaction. */
  private beginUpload(id: string, tempFile: string): Promise<boolean> {
    const now = isoNow(this.clock);
    return this.store.transaction(async (trx) => {
      if (!(await this.repo.transition(id, 'queued', 'saving', now, {}, trx))) return false;
      await this.uploads.start({
        image_id: id, owner: this.storage.instanceId, temp_file: tempFile, lease_until: this.leaseEnd(), created_at: now,
      }, trx);
      return true;
    });
  }

  /** saving -> `to`, ending the upload's row in the same transaction; false when the image left `saving`. */
  private endUpload(id: string, to: 'active' | 'queued', data: DataFields = {}): Promise<boolean> {
    return this.store.transaction(async (trx) => {
      if (!(await this.repo.transition(id, 'saving', to, isoNow(this.clock), data, trx))) return false;
      await this.uploads.end(id, trx);
      return true;
    });
  }

  /**
   * Uploads whose process died (no live lease) put their image back to `queued`, so it can be uploaded
   * again, and their temp files go; with `orphans`, also temp files no upload row names (run at start).
   */
  async sweepUploads(orphans = false): Promise<{ requeued: number; removed: number }> {
    const { requeued, expired, live } = await this.uploads.sweep(isoNow(this.clock));
    for (const name of expired) await this.data.removeTemp(name);
    const removed = orphans ? await this.data.sweepTemps(new Set(live), this.storage.uploadLeaseMs) : 0;
    return { requeued, removed: removed + expired.length };
  }

  /**
   * `GET /v2/images/{id}/file`: the data of an active image, or no data (204). A deactivated image's data
   * is refused (403) to everyone but admins.
   */
  async download(ctx: RequestContext, id: string)
    : Promise<{ image: Image; data: { stream: Readable; size: number } | undefined }> {
    const found = await this.findVisible(ctx, id);
    if (!found) throw noImage(id);
    const { image } = found;
    checkDownloadable(image.status, ctx.isAdmin);
    const data = hasData(image.status) ? await this.data.open(id) : undefined;
    return { image, data };
  }

  /**
   * `PUT /v2/images/{id}/tags/{tag}`: owner or admin; adding a tag the image has is fine (204 either way).
   * The tag is checked against the image schema first, as Glance's deserializer does, before the image is read.
   */
  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    validateImageDocument({ tags: [tag] });
    await this.changeTags(ctx, id, 'update', (tags) => (tags.includes(tag) ? tags : [...tags, tag]));
  }

  /** `DELETE /v2/images/{id}/tags/{tag}`: owner or admin; 404 when the image does not have the tag. */
  async removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    await this.changeTags(ctx, id, 'delete', (tags) => {
      if (!tags.includes(tag)) throw notFound('The resource could not be found.');
      return tags.filter((t) => t !== tag);
    });
  }

  private async changeTags(ctx: RequestContext, id: string, verb: 'update' | 'delete',
    change: (tags: string[]) => string[]): Promise<void> {
    await this.store.transaction(async (trx) => {
      const image = await this.lockVisible(ctx, id, trx);
      if (!image) throw tagImageNotFound(id);
      if (!canModify(ctx, image)) throw forbidden(`Not allowed to ${verb} tags for image ${id}.`);
      const tags = change(image.tags);
      if (tags.length > TAG_QUOTA) {
        throw new AppError('quota_exceeded', `Image tag limit exceeded for image ${id}: `
          + `${quotaExceeded('tags', tags.length, TAG_QUOTA).message}:`);
      }
      if (!(await this.repo.update(id, { ...image, tags, updated_at: isoNow(this.clock) }, trx))) {
        throw tagImageNotFound(id);
      }
    });
  }

  /**
   * `POST /v2/images/{id}/actions/deactivate|reactivate`: owner or admin; active <-> deactivated, a no-op
   * when the image is already there, 403 from any other status.
   */
  async act(ctx: RequestContext, id: string, action: ImageAction): Promise<void> {
    await this.store.transaction(async (trx) => {
      const image = await this.lockVisible(ctx, id, trx);
      if (!image) throw noImage(id);
      if (!canModify(ctx, image)) throw notOwner();
      const move = actionTransition(action, image.status);
      if (move && !(await this.repo.transition(id, move.from, move.to, isoNow(this.clock), {}, trx))) {
        throw noImage(id);
      }
    });
  }
}
