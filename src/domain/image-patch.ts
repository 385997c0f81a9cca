import { badRequest, conflict, forbidden } from '../errors/app-error.js';
import { checkDbInt, type Image, isBaseAttribute, READ_ONLY_ATTRIBUTES } from './image.js';
import { dedupe, isReserved } from './image-input.js';
import { checkPropertyName, IMAGE_PROPERTIES, isSchemaProperty, validateImageDocument } from './image-schema.js';
import { clip } from './clip.js';
import { quoteStr } from './py-repr.js';

/** The two JSON-patch dialects of Glance and the JSON-schema draft each one follows. */
export const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};
const OPS = ['add', 'remove', 'replace'] as const;
export type PatchOp = (typeof OPS)[number];

export interface ImageChange {
  op: PatchOp;
  path: string[];
  value?: unknown;
  /** 4 for the v2.0 media type, 10 for v2.1: `add` on an existing attribute is a conflict only under 4. */
  version: 4 | 10;
}

/** The JSON-schema draft of a PATCH request's media type (parameters aside); undefined for any other type. */
export function patchVersion(contentType: string | undefined): 4 | 10 | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return Object.hasOwn(PATCH_MEDIA_TYPES, mediaType) ? PATCH_MEDIA_TYPES[mediaType] : undefined;
}

function validatePointer(pointer: string): void {
  const fail = (why: string) => badRequest(`Pointer \`${clip(pointer)}\` ${why}`);
  if (!pointer.startsWith('/')) throw fail('does not start with "/".');
  if (/\/\s*?\//.test(pointer.slice(1))) throw fail('contains adjacent "/".');
  if (pointer.length > 1 && pointer.endsWith('/')) throw fail('end with "/".');
  if (pointer.slice(1).trim() === '/') throw fail('does not contains valid token.');
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) throw fail('contains "~" not part of a recognized escape sequence.');
}

function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw badRequest(`Pointer \`${quoteStr(pointer)}\` does not start with "/".`);
  validatePointer(pointer);
  return pointer.replace(/^\/+/, '').split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

function operation(raw: Record<string, unknown>, version: 4 | 10): { op: PatchOp; pointer: unknown } {
  const available = OPS.join(', ');
  if (version === 10) {
    const op = raw.op;
    if (op === undefined || op === null) {
      throw badRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`);
    }
    if (!(OPS as readonly unknown[]).includes(op)) {
      throw badRequest(`Invalid operation: \`${quoteStr(op)}\`. It must be one of the following: ${available}.`);
    }
    if (!('path' in raw)) throw badRequest("Unable to find 'path' in JSON Schema change");
    return { op: op as PatchOp, pointer: raw.path };
  }
  const present = OPS.filter((key) => key in raw);
  if (present.length > 1) {
    throw badRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
  }
  if (present.length === 0) {
    throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  }
  return { op: present[0]!, pointer: raw[present[0]!] };
}

/** Path depth allowed per root: `locations` takes an index on add and remove. */
function validatePath(op: PatchOp, path: string[]): void {
  const depth = path[0] === 'locations' ? { add: 2, remove: 2, replace: 1 }[op] : 1;
  if (path.length !== depth) throw badRequest(`Invalid JSON pointer for this resource: '/${clip(path.join('/'))}'`);
}

function validateChange(change: ImageChange): void {
  const root = change.path[0]!;
  if ((READ_ONLY_ATTRIBUTES as readonly string[]).includes(root)) {
    throw forbidden(`Attribute '${root}' is read-only.`);
  }
  if (isReserved(root) && root !== 'locations') throw forbidden(`Attribute '${clip(root)}' is reserved.`);
  if (change.op === 'remove') return;
  if (!isBaseAttribute(root)) checkPropertyName(root);
  if (change.path.length === 1) validateImageDocument({ [root]: change.value });
  else if (isSchemaProperty(root) && IMAGE_PROPERTIES[root]!.type === 'array') validateImageDocument({ [root]: [change.value] });
}

/** Glance's PATCH deserializer: the body must be a list of operations in the dialect of the media type. */
export function parsePatchBody(body: unknown, version: 4 | 10): ImageChange[] {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw badRequest('Operations must be JSON objects.');
    }
    const rec = raw as Record<string, unknown>;
    const { op, pointer } = operation(rec, version);
    const path = decodePointer(pointer);
    validatePath(op, path);
    const change: ImageChange = { op, path, version };
    if (op !== 'remove') {
      if (!('value' in rec)) throw badRequest(`Operation "${op}" requires a member named "value".`);
      change.value = rec.value;
    }
    validateChange(change);
    return change;
  });
}

/** Policy hooks the service supplies: checked for each change, before the change's own rules. */
export interface ChangePolicy {
  isAdmin: boolean;
  /** Glance `update_property`: the visibility policy, then ownership. */
  property(name: string, value?: unknown): void;
  /** Ownership alone (the location policies). */
  modify(): void;
}

const LOCATIONS_HIDDEN: Record<PatchOp, string> = {
  replace: "It's not allowed to update locations if locations are invisible.",
  add: "It's not allowed to add locations if locations are invisible.",
  remove: "It's not allowed to remove locations if locations are invisible.",
};

function setAttribute(image: Image, name: string, value: unknown): void {
  if ((name === 'container_format' || name === 'disk_format') && image.status !== 'queued'
    && image.status !== 'importing') {
    throw forbidden(`Attribute ${name} can be only replaced for a queued image.`);
  }
  if (name === 'min_ram' || name === 'min_disk') checkDbInt(name, value as number);
  if (name === 'tags') (image as unknown as Record<string, unknown>)[name] = dedupe(value as string[]);
  else if (name === 'owner') image.owner = (value as string | null) || null;
  else (image as unknown as Record<string, unknown>)[name] = value;
}

/** Applies the changes in order (Glance `_do_add`, `_do_replace`, `_do_remove`) to a copy of the image. */
export function applyChanges(current: Image, changes: readonly ImageChange[], policy: ChangePolicy): Image {
  const image: Image = { ...current, tags: [...current.tags], extra: { ...current.extra } };
  for (const { op, path, value, version } of changes) {
    const root = path[0]!;
    if (root === 'locations') {
      if (op === 'replace' && (!Array.isArray(value) || value.length === 0)) {
        throw forbidden('Cannot set locations to empty list.');
      }
      policy.modify();
      throw forbidden(LOCATIONS_HIDDEN[op]);
    }
    if (root === 'owner' && op !== 'remove' && !policy.isAdmin) throw forbidden("Owner can't be updated by non admin.");
    policy.property(root, value);
    const base = isBaseAttribute(root);
    const exists = base || Object.hasOwn(image.extra, root);
    if (op === 'remove') {
      if (base) throw forbidden(`Property ${root} may not be removed.`);
      if (!exists) throw conflict(`Property ${clip(root)} does not exist.`);
      delete image.extra[root];
      continue;
    }
    if (op === 'replace' && !exists) throw conflict(`Property ${clip(root)} does not exist.`);
    if (op === 'add' && exists && version === 4) throw conflict(`Property ${clip(root)} already present.`);
    if (base) setAttribute(image, root, value);
    else image.extra[root] = value as string;
  }
  return image;
}
