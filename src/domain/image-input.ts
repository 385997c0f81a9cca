import { badRequest, forbidden } from '../errors/app-error.js';
import {
  CREATE_DISALLOWED, CREATE_READ_ONLY, type Image, RESERVED_ATTRIBUTES, RESERVED_PREFIX, type Visibility,
} from './image.js';
import { clip } from './clip.js';
import { checkPropertyName, validateImageDocument } from './image-schema.js';

/** The attributes a client may give on `POST /v2/images`, already validated against the image schema. */
export interface NewImageInput {
  fields: Partial<Pick<Image, 'id' | 'name' | 'container_format' | 'disk_format' | 'protected' | 'os_hidden'
    | 'min_ram' | 'min_disk'>> & { visibility?: Visibility };
  /** Present when the body named an owner (admins only, or the caller's own project). */
  owner?: string | null;
  tags: string[];
  extra: Record<string, string>;
  /** The first read-only attribute the body tried to set; refused after the policy checks, as Glance does. */
  readOnly?: string;
}

const FIELD_KEYS = ['id', 'name', 'container_format', 'disk_format', 'protected', 'os_hidden', 'min_ram', 'min_disk',
  'visibility'] as const;
/** Schema properties that are neither settable fields nor extra properties. */
const NOT_EXTRA = new Set<string>([...FIELD_KEYS, 'owner', 'tags', ...CREATE_READ_ONLY]);

const readOnly = (key: string) => forbidden(`Attribute '${key}' is read-only.`);
const reserved = (key: string) => forbidden(`Attribute '${clip(key)}' is reserved.`);

export const isReserved = (key: string) =>
  (RESERVED_ATTRIBUTES as readonly string[]).includes(key) || key.startsWith(RESERVED_PREFIX);

/** Glance's create deserializer (`RequestDeserializer.create`), step by step. */
export function parseCreateBody(body: unknown): NewImageInput {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    for (const key of CREATE_DISALLOWED) if (key in body) throw readOnly(key);
  }
  validateImageDocument(body);
  const fields: Record<string, unknown> = {};
  for (const key of FIELD_KEYS) if (Object.hasOwn(body, key)) fields[key] = body[key];
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (NOT_EXTRA.has(key)) continue;
    checkPropertyName(key);
    if (isReserved(key)) throw reserved(key);
    extra[key] = value as string;
  }
  const input: NewImageInput = {
    fields: fields as NewImageInput['fields'],
    tags: dedupe((body.tags as string[] | undefined) ?? []),
    extra,
  };
  if (Object.hasOwn(body, 'owner')) input.owner = body.owner as string | null;
  const ro = CREATE_READ_ONLY.find((key) => key in body);
  if (ro !== undefined) input.readOnly = ro;
  return input;
}

/** Tags are a set; the first occurrence keeps its place. */
export const dedupe = (tags: readonly string[]): string[] => [...new Set(tags)];
