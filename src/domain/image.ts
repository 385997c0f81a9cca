import { badRequest } from '../errors/app-error.js';
import { wireTime } from './clock.js';

/** Glance's visibility enum, in its schema order (it shows up in validation messages). */
export const VISIBILITIES = ['community', 'public', 'private', 'shared'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const IMAGE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing',
  'pending_delete', 'deactivated'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** Glance's default `[image_format]` lists (glance/common/config.py). */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;

/** The derived IMS image type (Huawei's ListImages `__imagetype`: gold, private, shared, market). */
export type ImageType = 'gold' | 'shared' | 'private';
export const IMAGE_TYPES = ['gold', 'private', 'shared', 'market'] as const;

/** Attributes no client may set, on create or by PATCH (Glance's deserializer list plus the IMS `__imagetype`). */
export const READ_ONLY_ATTRIBUTES = ['created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size',
  'direct_url', 'self', 'file', 'schema', 'id', 'os_hash_algo', 'os_hash_value', 'stores', '__imagetype'] as const;
/** Refused first on create, before the schema is even checked (`_disallowed_properties`). */
export const CREATE_DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores', '__imagetype'] as const;
/** Refused on create after the policy checks (ImageFactory `_readonly_properties`), in Glance's order. */
export const CREATE_READ_ONLY = ['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value',
  'size', 'virtual_size'] as const;
export const RESERVED_ATTRIBUTES = ['location', 'locations', 'deleted', 'deleted_at'] as const;
export const RESERVED_PREFIX = 'os_glance';

/** Attributes of the image itself (Glance `hasattr(image, name)`): set by PATCH, never removable. */
export const BASE_ATTRIBUTES = ['name', 'visibility', 'protected', 'os_hidden', 'owner', 'container_format',
  'disk_format', 'min_ram', 'min_disk', 'tags'] as const;
export type BaseAttribute = (typeof BASE_ATTRIBUTES)[number];

/** Glance `image_property_quota` and `image_tag_quota` defaults. */
export const PROPERTY_QUOTA = 128;
export const TAG_QUOTA = 128;
export const MAX_DB_INT = 2 ** 31 - 1;

export interface Image {
  id: string;
  name: string | null;
  owner: string | null;
  visibility: Visibility;
  status: ImageStatus;
  container_format: string | null;
  disk_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  protected: boolean;
  os_hidden: boolean;
  tags: string[];
  /** Extra string properties (including IMS `__*` attributes), shown at the top level of the body. */
  extra: Record<string, string>;
  /** Stored timestamps: ISO-8601 with milliseconds. */
  created_at: string;
  updated_at: string;
}

/** A new image with IMS's defaults: visibility `private` (Glance's is `shared`; docs/compatibility.md). */
export function newImage(fields: Pick<Image, 'id' | 'owner' | 'created_at'> & Partial<Image>): Image {
  return {
    name: null, visibility: 'private', status: 'queued', container_format: null, disk_format: null, size: null,
    virtual_size: null, checksum: null, os_hash_algo: null, os_hash_value: null, min_disk: 0, min_ram: 0,
    protected: false, os_hidden: false, tags: [], extra: {}, updated_at: fields.created_at, ...fields,
  };
}

/** Glance `_validate_db_int` for min_ram and min_disk (plus: no negative values). */
export function checkDbInt(name: string, value: number): void {
  if (value > MAX_DB_INT) throw badRequest(`'${name}' value out of range, must not exceed ${MAX_DB_INT}.`);
  if (value < 0) throw badRequest(`'${name}' value out of range, must not be negative.`);
}

export const isBaseAttribute = (name: string): name is BaseAttribute =>
  (BASE_ATTRIBUTES as readonly string[]).includes(name);

/** Data formats whose virtual size is the file size. */
const FLAT_FORMATS = new Set(['raw', 'iso']);

/** The virtual size Glance reports after an upload: the file size for flat formats, the qcow2 header's size. */
export function virtualSizeOf(diskFormat: string | null, size: number, head: Buffer): number | null {
  if (diskFormat !== null && FLAT_FORMATS.has(diskFormat)) return size;
  if (diskFormat === 'qcow2' && head.length >= 32 && head.readUInt32BE(0) === 0x514649fb) {
    const virtual = head.readBigUInt64BE(24);
    return virtual <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(virtual) : null;
  }
  return null;
}

export type ImageBody = Record<string, unknown> & { id: string };

/**
 * The Glance image body (Glance's `ImagesController` serializer, glance/api/v2/images.py): every key always present,
 * extra properties at the top level. `__imagetype` is what the image is to the caller (policy/visibility.ts
 * `imageTypeFor`).
 */
export function imageBody(image: Image, imagetype: ImageType): ImageBody {
  return {
    ...image.extra,
    __imagetype: imagetype,
    name: image.name,
    disk_format: image.disk_format,
    container_format: image.container_format,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtual_size,
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.min_ram,
    min_disk: image.min_disk,
    owner: image.owner,
    os_hidden: image.os_hidden,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    id: image.id,
    created_at: wireTime(image.created_at),
    updated_at: wireTime(image.updated_at),
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}
