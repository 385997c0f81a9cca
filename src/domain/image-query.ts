import { badRequest } from '../errors/app-error.js';
import { clip } from './clip.js';
import { type ImageType, IMAGE_TYPES, PROPERTY_QUOTA, TAG_QUOTA, type Visibility, VISIBILITIES } from './image.js';
import { isMemberStatus, type MemberStatus } from './member.js';

export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at',
  'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';
export interface SortItem { key: SortKey; dir: SortDir }

/** `name=in:a,b` or `name=a`. */
export interface ValueFilter { op: 'eq' | 'in'; values: string[] }
/** `created_at=gte:2026-01-01T00:00:00Z`, at the wire's one-second resolution. */
export interface TimeFilter { op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'; at: Date }

export const LIMIT_DEFAULT = 25;
export const LIMIT_MAX = 1000;

export interface ImageFilters {
  name?: ValueFilter;
  id?: ValueFilter;
  status?: ValueFilter;
  container_format?: ValueFilter;
  disk_format?: ValueFilter;
  owner?: string;
  checksum?: string;
  os_hash_algo?: string;
  os_hash_value?: string;
  size?: number;
  virtual_size?: number;
  min_ram?: number;
  min_disk?: number;
  size_min?: number;
  size_max?: number;
  protected?: boolean;
  os_hidden: boolean;
  created_at?: TimeFilter;
  updated_at?: TimeFilter;
  /** Every tag must be present. */
  tags: string[];
  /** Extra-property equality filters. */
  extra: [string, string][];
  /** The derived IMS `__imagetype`. */
  imagetype?: ImageType | 'market';
}

export interface ImageListQuery {
  filters: ImageFilters;
  visibility?: Visibility | 'all';
  memberStatus: MemberStatus | 'all';
  /** Complete sort order: created_at and id are appended when missing, so the order is total. */
  sort: SortItem[];
  marker?: string;
  limit: number;
  /** The query string's pairs but the marker, in order: queries with the same key differ in their marker only. */
  key: string;
}

const TEXT_FILTERS = ['owner', 'checksum', 'os_hash_algo', 'os_hash_value'] as const;
const INT_FILTERS = ['size', 'virtual_size', 'min_ram', 'min_disk'] as const;
const VALUE_FILTERS = ['name', 'id', 'status', 'container_format', 'disk_format'] as const;
const TIME_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;

/** A Python `int()` of a query value: optional sign and surrounding spaces. */
const pyInt = (s: string): number | undefined => (/^\s*[+-]?\d+\s*$/.test(s) ? Number(s.trim()) : undefined);

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** `iso8601.parse_date` as Glance uses it: a date with optional time and offset; naive means UTC. */
export function parseIsoTime(s: string): Date | undefined {
  const m = ISO_RE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', tz = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec),
    Number(`0.${frac || '0'}`) * 1000);
  const date = new Date(ms);
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23
    || Number(mi) > 59 || Number(sec) > 59) return undefined;
  let offset = 0;
  if (tz.toUpperCase() !== 'Z') {
    const digits = tz.replace(':', '');
    offset = (digits.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0'));
  }
  return new Date(ms - offset * 60_000);
}

/** Glance `split_filter_op`: `op:value`, unless the whole expression is a timestamp. */
function splitOp(expression: string): [string, string] {
  const i = expression.indexOf(':');
  if (i < 0 || parseIsoTime(expression)) return ['eq', expression];
  return [expression.slice(0, i), expression.slice(i + 1)];
}

/** Glance `split_filter_value_for_quotes`: comma-separated values, double quotes protect commas. */
export function splitQuoted(value: string): string[] {
  let open = true;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"' || (i > 0 && value[i - 1] === '\\')) continue;
    if (open && i > 0 && value[i - 1] !== ',') {
      throw badRequest(`Invalid filter value ${clip(value)}. There is no comma before opening quotation mark.`);
    }
    if (!open && i + 1 !== value.length && value[i + 1] !== ',') {
      throw badRequest(`Invalid filter value ${clip(value)}. There is no comma after closing quotation mark.`);
    }
    open = !open;
  }
  if (!open) throw badRequest(`Invalid filter value ${clip(value)}. The quote is not closed.`);
  const re = /"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g;
  const out: string[] = [];
  for (let m = re.exec(value); m; m = re.exec(value)) out.push(m[1] || m[2] || '');
  return out;
}

function valueFilter(expression: string): ValueFilter {
  const [op, rest] = splitOp(expression);
  if (op === 'in') return { op: 'in', values: splitQuoted(rest) };
  if (op === 'eq') return { op: 'eq', values: [rest] };
  throw badRequest(`Unable to filter by unknown operator '${clip(op)}'.`);
}

function timeFilter(name: string, expression: string): TimeFilter {
  const [op, rest] = splitOp(expression);
  const at = parseIsoTime(rest);
  if (!at) throw badRequest(`Bad "${name}" query filter format. Use ISO 8601 DateTime notation.`);
  if (!(TIME_OPS as readonly string[]).includes(op)) throw badRequest('Unable to filter on a unknown operator.');
  return { op: op as TimeFilter['op'], at };
}

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw badRequest(`Invalid sort key: ${clip(key)}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  return key as SortKey;
}

function sortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${clip(dir)}`);
  return dir;
}

/** `sort=k:d,...` or repeated `sort_key`/`sort_dir`; then created_at and id complete the order (image_get_all). */
function sorting(sortParams: string[], keyParams: string[], dirParams: string[]): SortItem[] {
  const keys: SortKey[] = [];
  const dirs: SortDir[] = [];
  if (sortParams.length > 0) {
    if (keyParams.length > 0 || dirParams.length > 0) {
      throw badRequest('Old and new sorting syntax cannot be combined');
    }
    for (const part of sortParams[0]!.trim().split(',')) {
      const i = part.indexOf(':');
      keys.push(sortKey((i < 0 ? part : part.slice(0, i)).trim()));
      dirs.push(sortDir((i < 0 || part.slice(i + 1) === '' ? 'desc' : part.slice(i + 1)).trim()));
    }
  } else {
    for (const k of keyParams) keys.push(sortKey(k.trim()));
    for (const d of dirParams) dirs.push(sortDir(d.trim()));
    if (dirs.length > 1 && dirs.length !== keys.length) {
      throw badRequest('Number of sort dirs does not match the number of sort keys');
    }
  }
  if (keys.length === 0) keys.push('created_at');
  let fallback: SortDir = 'desc';
  if (dirs.length === 0) dirs.push('desc');
  if (dirs.length === 1) {
    fallback = dirs[0]!;
    while (dirs.length < keys.length) dirs.push(fallback);
  }
  // A key given again cannot change the order (its first occurrence decides): one ORDER BY term per key.
  const sort = keys.flatMap((key, i) => (keys.indexOf(key) === i ? [{ key, dir: dirs[i]! }] : []));
  for (const key of ['created_at', 'id'] as const) {
    if (!keys.includes(key)) sort.push({ key, dir: fallback });
  }
  return sort;
}

function bool(name: string, value: string, normalize: boolean): boolean {
  const v = normalize ? value.toLowerCase() : value;
  if (v !== 'true' && v !== 'false') {
    throw badRequest(`Invalid value '${clip(v)}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  }
  return v === 'true';
}

/**
 * Glance's `GET /v2/images` deserializer and filter handling (images.py `index`, sqlalchemy
 * `_make_conditions_from_filters`). Takes the query string's pairs in order; a repeated filter keeps its last value.
 */
export function parseListQuery(pairs: readonly [string, string][]): ImageListQuery {
  for (const [k, v] of pairs) {
    if (k.includes('\u0000') || v.includes('\u0000')) throw badRequest('Query parameters may not contain null characters.');
  }
  const rest = [...pairs];
  const take = (key: string): string[] => {
    const values = rest.filter(([k]) => k === key).map(([, v]) => v);
    for (let i = rest.length - 1; i >= 0; i--) if (rest[i]![0] === key) rest.splice(i, 1);
    return values;
  };
  const [limitParam] = take('limit');
  const [marker] = take('marker');
  const memberStatus = take('member_status')[0] ?? 'accepted';
  // Every tag must be present: a repeated one asks nothing more; past TAG_QUOTA no image can have them all.
  const tags = [...new Set(take('tag').map((t) => t.trim()))];
  if (tags.length > TAG_QUOTA) {
    throw badRequest(`At most ${TAG_QUOTA} tags may be filtered on (an image has at most ${TAG_QUOTA}).`);
  }
  const sortParams = [take('sort'), take('sort_key'), take('sort_dir')] as const;
  const filterMap = new Map(rest);
  const visibility = filterMap.get('visibility');
  if (visibility !== undefined && !(VISIBILITIES as readonly string[]).includes(visibility) && visibility !== 'all') {
    throw badRequest(`Invalid visibility value: ${clip(visibility)}`);
  }
  if (filterMap.has('changes-since')) throw badRequest('The "changes-since" filter is no longer available on v2.');
  if (memberStatus !== 'all' && !isMemberStatus(memberStatus)) throw badRequest(`Invalid status: ${clip(memberStatus)}`);
  let limit = LIMIT_DEFAULT;
  if (limitParam !== undefined) {
    const n = pyInt(limitParam);
    if (n === undefined) throw badRequest('limit param must be an integer');
    if (n < 0) throw badRequest('limit param must be positive');
    limit = Math.min(n, LIMIT_MAX);
  }
  const sort = sorting(...sortParams);
  filterMap.delete('visibility');
  return {
    filters: parseFilters(filterMap, tags),
    ...(visibility !== undefined ? { visibility: visibility as Visibility | 'all' } : {}),
    memberStatus: memberStatus as MemberStatus | 'all',
    sort,
    ...(marker !== undefined ? { marker } : {}),
    limit,
    key: new URLSearchParams(pairs.filter(([k]) => k !== 'marker')).toString(),
  };
}

function parseFilters(params: Map<string, string>, tags: string[]): ImageFilters {
  const filters: ImageFilters = { os_hidden: bool('os_hidden', params.get('os_hidden') ?? 'false', true), tags,
    extra: [] };
  params.delete('os_hidden');
  for (const [key, value] of params) {
    if (key === 'protected') filters.protected = bool('protected', value, false);
    else if (key === 'size_min' || key === 'size_max') {
      const n = pyInt(value);
      if (n === undefined) throw badRequest('Unable to filter on a range with a non-numeric value.');
      // Sizes are bigints: past 2^53 - 1 no stored size is that large, nor is the value exact in JavaScript.
      if (!Number.isSafeInteger(n)) throw badRequest(`Invalid value for '${key}': it must be between `
        + `${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}.`);
      filters[key] = n;
    } else if (key === 'created_at' || key === 'updated_at') filters[key] = timeFilter(key, value);
    else if ((VALUE_FILTERS as readonly string[]).includes(key)) {
      filters[key as (typeof VALUE_FILTERS)[number]] = valueFilter(value);
    } else if ((TEXT_FILTERS as readonly string[]).includes(key)) {
      filters[key as (typeof TEXT_FILTERS)[number]] = value;
    } else if ((INT_FILTERS as readonly string[]).includes(key)) {
      const n = pyInt(value);
      if (n === undefined) throw badRequest(`Invalid value '${clip(value)}' for '${key}' filter: it must be an integer.`);
      // The columns are 32-bit integers (checkDbInt).
      if (n < -(2 ** 31) || n > 2 ** 31 - 1) throw badRequest(`Invalid value '${clip(value)}' for '${key}' filter: `
        + 'it must be between -2147483648 and 2147483647.');
      filters[key as (typeof INT_FILTERS)[number]] = n;
    } else if (key === '__imagetype') {
      if (!(IMAGE_TYPES as readonly string[]).includes(value)) {
        throw badRequest(`Invalid value '${clip(value)}' for '__imagetype' filter. Valid values are `
          + `${IMAGE_TYPES.join(', ')}.`);
      }
      filters.imagetype = value as ImageType | 'market';
    } else filters.extra.push([key, value]);
  }
  if (filters.extra.length > PROPERTY_QUOTA) {
    throw badRequest(`At most ${PROPERTY_QUOTA} properties may be filtered on (an image has at most ${PROPERTY_QUOTA}).`);
  }
  return filters;
}
