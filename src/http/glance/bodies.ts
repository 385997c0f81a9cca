import fastJson, { type Schema } from 'fast-json-stringify';
import type { CacheSpace } from '../../cache/cache-space.js';
import { type Image, imageBody, IMAGE_STATUSES, type ImageType, VISIBILITIES } from '../../domain/image.js';
import { imageTypeFor, type Viewer } from '../../policy/visibility.js';
import { memberBody } from '../../domain/member.js';
import type { MemberRow } from '../../repos/member-repo.js';

const nullable = (type: string) => ({ type: [type, 'null'] });

/** The Glance image body: every key always present; extra properties are strings. */
export const IMAGE_RESPONSE = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: nullable('string'),
    status: { type: 'string', enum: IMAGE_STATUSES },
    visibility: { type: 'string', enum: VISIBILITIES },
    protected: { type: 'boolean' },
    os_hidden: { type: 'boolean' },
    checksum: nullable('string'),
    os_hash_algo: nullable('string'),
    os_hash_value: nullable('string'),
    owner: nullable('string'),
    size: nullable('integer'),
    virtual_size: nullable('integer'),
    container_format: nullable('string'),
    disk_format: nullable('string'),
    min_ram: { type: 'integer' },
    min_disk: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    self: { type: 'string' },
    file: { type: 'string' },
    schema: { type: 'string' },
    __imagetype: { type: 'string', enum: ['gold', 'shared', 'private'], description: 'IMS image type (derived)' },
  },
  required: ['id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo',
    'os_hash_value', 'owner', 'size', 'virtual_size', 'container_format', 'disk_format', 'min_ram', 'min_disk',
    'tags', 'created_at', 'updated_at', 'self', 'file', 'schema', '__imagetype'],
  additionalProperties: { type: 'string' },
} as const;

/** `GET /v2/images`: `next` only when the page was full (and written last, as optional keys are). */
export const LIST_RESPONSE = {
  type: 'object',
  properties: {
    images: { type: 'array', items: IMAGE_RESPONSE },
    first: { type: 'string' },
    next: { type: 'string' },
    schema: { type: 'string' },
  },
  required: ['images', 'first', 'schema'],
} as const;

/** The member object: Glance's six keys, `member_type`, and `urn` for organization members (domain/member.ts). */
export const MEMBER_RESPONSE = {
  type: 'object',
  properties: {
    created_at: { type: 'string' }, image_id: { type: 'string' }, member_id: { type: 'string' },
    schema: { type: 'string' }, status: { type: 'string' }, updated_at: { type: 'string' },
    member_type: { type: 'string', enum: ['project', 'domain', 'organization'] },
    urn: { type: 'string', description: 'An organization member\'s URN' },
  },
} as const;

/**
 * Huawei's paging of member lists (ListImageMembers, GlanceListImageMembers): the next page's base64 marker, if any,
 * and this page's count.
 */
export const PAGE_INFO = {
  type: 'object',
  properties: { next_marker: { type: 'string' }, current_count: { type: 'integer' } },
} as const;

export const MEMBERS_RESPONSE = {
  type: 'object',
  properties: {
    members: { type: 'array', items: MEMBER_RESPONSE }, schema: { type: 'string' }, page_info: PAGE_INFO,
  },
} as const;

const serializeImage = fastJson(IMAGE_RESPONSE as unknown as Schema);
const serializeMember = fastJson(MEMBER_RESPONSE as unknown as Schema);

/** Bytes of their own: a small Buffer.from() is a slice of a shared 8 KB slab, which one kept slice pins. */
function ownBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

const COMMA = Buffer.from(',');
const LIST_HEAD = Buffer.from('{"images":[');

/**
 * The IMAGE_RESPONSE document of an image as the viewer sees it (its `__imagetype` is the viewer's), as bytes,
 * and the LIST_RESPONSE document of a page, put together by copying them; both kept, in `caches`, for frozen
 * (cached) images and pages: an image's body per `__imagetype`, a page's body as long as its links are the same
 * (a kept page is one viewer's).
 */
export function imageBodies(caches: CacheSpace) {
  const variants = caches.rendered((_image: Image): Partial<Record<ImageType, Buffer>> => ({}));
  const imageJson = (image: Image, viewer: Viewer): Buffer => {
    const type = imageTypeFor(viewer, image);
    const kept = variants(image);
    return kept[type] ??= ownBytes(serializeImage(imageBody(image, type)));
  };
  /** A page's last body and the links it was rendered with: kept with a frozen page, new for any other. */
  const lastList = caches.rendered((_images: readonly Image[]): { links?: string; body?: Buffer } => ({}));
  const imageListJson = (images: readonly Image[], viewer: Viewer, first: string, next: string | undefined)
    : Buffer => {
    const links = `],"first":${JSON.stringify(first)},"schema":"/v2/schemas/images"${
      next === undefined ? '' : `,"next":${JSON.stringify(next)}`}}`;
    const last = lastList(images);
    if (last.links === links) return last.body!;
    const parts: Buffer[] = [LIST_HEAD];
    images.forEach((image, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(imageJson(image, viewer));
    });
    parts.push(Buffer.from(links));
    last.links = links;
    last.body = Buffer.concat(parts);
    return last.body;
  };
  return { imageJson, imageListJson };
}

export type ImageBodies = ReturnType<typeof imageBodies>;

/** The marker of the page after `row`: its member id, base64-encoded (Huawei's form). */
export const memberMarker = (row: MemberRow) => Buffer.from(row.member_id).toString('base64');

/**
 * The MEMBER_RESPONSE document, and the MEMBERS_RESPONSE document of a page (`more`: another one follows); a
 * list with no page after it kept, in `caches`, for frozen (cached) rows.
 */
export function memberBodies(caches: CacheSpace) {
  const memberJson = caches.rendered((row: MemberRow) => serializeMember(memberBody(row)));
  const membersPart = (rows: readonly MemberRow[]) =>
    `{"members":[${rows.map(memberJson).join(',')}],"schema":"/v2/schemas/members"`;
  /** A whole list (no page after it), kept whole. */
  const lastPage = caches.rendered((rows: readonly MemberRow[]) =>
    `${membersPart(rows)},"page_info":{"current_count":${rows.length}}}`);
  const memberListJson = (rows: readonly MemberRow[], more = false) => (!more || rows.length === 0 ? lastPage(rows)
    : `${membersPart(rows)},"page_info":{"next_marker":${JSON.stringify(memberMarker(rows.at(-1)!))},"current_count":${
      rows.length}}}`);
  return { memberJson, memberListJson };
}
