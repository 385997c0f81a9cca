import { badRequest } from '../errors/app-error.js';
import { CONTAINER_FORMATS, DISK_FORMATS, IMAGE_STATUSES, VISIBILITIES } from './image.js';
import { pyRepr, quoteRepr } from './py-repr.js';

type JsonType = 'string' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

/** One property of Glance's image schema, with the keywords that matter for validation. */
export interface PropertyRule {
  type: JsonType | JsonType[];
  description: string;
  enum?: readonly (string | null)[];
  maxLength?: number;
  pattern?: string;
  readOnly?: boolean;
  items?: { type: 'string'; maxLength: number } | Record<string, unknown>;
}

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

/** Glance's image schema properties (glance/api/v2/images.py `get_base_properties`), in its order. */
export const IMAGE_PROPERTIES: Record<string, PropertyRule> = {
  id: { type: 'string', description: 'An identifier for the image', pattern: UUID_PATTERN },
  name: { type: ['null', 'string'], description: 'Descriptive name for the image', maxLength: 255 },
  status: { type: 'string', readOnly: true, description: 'Status of the image', enum: IMAGE_STATUSES },
  visibility: { type: 'string', description: 'Scope of image accessibility', enum: VISIBILITIES },
  protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
  os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
  checksum: { type: ['null', 'string'], readOnly: true, description: 'md5 hash of image contents.', maxLength: 32 },
  os_hash_algo: { type: ['null', 'string'], readOnly: true, description: 'Algorithm to calculate the os_hash_value',
    maxLength: 64 },
  os_hash_value: { type: ['null', 'string'], readOnly: true, description: 'Hexdigest of the image contents using the '
    + 'algorithm specified by the os_hash_algo', maxLength: 128 },
  owner: { type: ['null', 'string'], description: 'Owner of the image', maxLength: 255 },
  size: { type: ['null', 'integer'], readOnly: true, description: 'Size of image file in bytes' },
  virtual_size: { type: ['null', 'integer'], readOnly: true, description: 'Virtual size of image in bytes' },
  container_format: { type: ['null', 'string'], description: 'Format of the container',
    enum: [null, ...CONTAINER_FORMATS] },
  disk_format: { type: ['null', 'string'], description: 'Format of the disk', enum: [null, ...DISK_FORMATS] },
  created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
  updated_at: { type: 'string', readOnly: true, description: 'Date and time of the last image modification' },
  tags: { type: 'array', description: 'List of strings related to the image',
    items: { type: 'string', maxLength: 255 } },
  direct_url: { type: 'string', readOnly: true, description: 'URL to access the image file kept in external store' },
  min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
  min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
  self: { type: 'string', readOnly: true, description: 'An image self url' },
  file: { type: 'string', readOnly: true, description: 'An image file url' },
  stores: { type: 'string', readOnly: true, description: 'Store in which image data resides.  Only present when the '
    + 'operator has enabled multiple stores.  May be a comma-separated list of store identifiers.' },
  schema: { type: 'string', readOnly: true, description: 'An image schema url' },
  locations: { type: 'array', description: 'A set of URLs to access the image file kept in external store',
    items: { type: 'object', properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
      required: ['url', 'metadata'] } },
};

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'null': return value === null;
    case 'string': return typeof value === 'string';
    case 'boolean': return typeof value === 'boolean';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/** More than `max` code points (jsonschema counts them), without walking a long string (each takes 1 or 2 units). */
const longerThan = (s: string, max: number) => s.length > max && (s.length > 2 * max || [...s].length > max);

/** The caller's value as jsonschema quotes it, cut short: a message never echoes a long value whole. */
const repr = quoteRepr;

/** jsonschema's message for the first keyword of `rule` that `value` breaks, if any. */
function violation(rule: Pick<PropertyRule, 'type' | 'enum' | 'maxLength' | 'pattern'>, value: unknown)
  : string | undefined {
  const types = Array.isArray(rule.type) ? rule.type : [rule.type];
  if (!types.some((t) => hasType(value, t))) {
    return `${repr(value)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`;
  }
  if (rule.enum && !rule.enum.includes(value as string | null)) {
    return `${repr(value)} is not one of ${pyRepr(rule.enum)}`;
  }
  if (typeof value === 'string') {
    if (rule.maxLength !== undefined && longerThan(value, rule.maxLength)) return `${repr(value)} is too long`;
    if (rule.pattern !== undefined && !new RegExp(rule.pattern).test(value)) {
      return `${repr(value)} does not match ${pyRepr(rule.pattern)}`;
    }
  }
  return undefined;
}

function itemViolation(rule: PropertyRule, value: unknown): string | undefined {
  if (!Array.isArray(value) || !rule.items) return undefined;
  const items = rule.items as { type?: JsonType; maxLength?: number };
  for (const item of value) {
    const v = violation({ type: items.type ?? 'object', maxLength: items.maxLength }, item);
    if (v) return v;
  }
  return undefined;
}

const schemaError = (reason: string) => badRequest(`Provided object does not match schema 'image': ${reason}`);

/**
 * Validates an image document against the permissive image schema (additional properties are strings),
 * reporting the error jsonschema's `best_match` would: shallow errors first, in schema order.
 */
export function validateImageDocument(doc: unknown): asserts doc is Record<string, unknown> {
  if (!hasType(doc, 'object')) throw schemaError(`${repr(doc)} is not of type 'object'`);
  const obj = doc as Record<string, unknown>;
  for (const [name, rule] of Object.entries(IMAGE_PROPERTIES)) {
    if (!Object.hasOwn(obj, name)) continue;
    const v = violation(rule, obj[name]);
    if (v) throw schemaError(v);
  }
  for (const [name, value] of Object.entries(obj)) {
    if (isSchemaProperty(name)) continue;
    const v = violation({ type: 'string', maxLength: MAX_PROPERTY_VALUE }, value);
    if (v) throw schemaError(v);
  }
  for (const [name, rule] of Object.entries(IMAGE_PROPERTIES)) {
    const v = Object.hasOwn(obj, name) ? itemViolation(rule, obj[name]) : undefined;
    if (v) throw schemaError(v);
  }
}

/** A property of the image schema itself (own keys only: `toString` or `constructor` are extra properties). */
export const isSchemaProperty = (name: string): boolean => Object.hasOwn(IMAGE_PROPERTIES, name);

/** Longest extra property value: Glance stores values in a TEXT column (64 KiB in MySQL). */
export const MAX_PROPERTY_VALUE = 65_535;

/**
 * The name of an extra property: 1 to 255 characters (Glance's column), and not `__proto__`, which a
 * JavaScript object cannot hold as a key of its own.
 */
export function checkPropertyName(name: string): void {
  if (name === '') throw badRequest('Custom property names must not be empty.');
  if (longerThan(name, 255)) throw badRequest('Custom property should not be greater than 255 characters.');
  if (name === '__proto__') throw badRequest('Custom property name "__proto__" is not allowed.');
}
