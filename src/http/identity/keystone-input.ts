import { quoteRepr } from '../../domain/py-repr.js';
import { badRequest } from '../../errors/app-error.js';

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (field: string, why: string) => badRequest(`Invalid input for field '${field}': ${why}`);

/** The entity of a Keystone body (`{"project": {...}}`), refused as Keystone's JSON schemas refuse it. */
export function entityOf(body: unknown, key: string, options: { update?: boolean } = {}): Fields {
  if (!isObject(body) || body[key] === undefined) throw badRequest(`'${key}' is a required property`);
  const entity = body[key];
  if (!isObject(entity)) throw badRequest(`${quoteRepr(entity)} is not of type 'object'`);
  if (options.update && Object.keys(entity).length === 0) throw badRequest('{} does not have enough properties');
  return entity;
}

/** Keystone's name: 1 to `max` characters, at least one not a space. */
export function nameOf(entity: Fields, max: number, required: boolean): string | undefined {
  const name = entity.name;
  if (name === undefined) {
    if (required) throw badRequest("'name' is a required property");
    return undefined;
  }
  if (typeof name !== 'string') throw invalid('name', `${quoteRepr(name)} is not of type 'string'`);
  if (name.length === 0) throw invalid('name', "'' is too short");
  if (name.length > max) throw invalid('name', `${quoteRepr(name)} is too long`);
  if (!/\S/.test(name)) throw invalid('name', `${quoteRepr(name)} does not match '[\\\\S]+'`);
  return name;
}

/** An optional string (null allowed when `nullable`), at most `max` characters. */
export function stringOf(entity: Fields, field: string, max: number, nullable?: true): string | null | undefined;
export function stringOf(entity: Fields, field: string, max: number, nullable: false): string | undefined;
export function stringOf(entity: Fields, field: string, max: number, nullable = true): string | null | undefined {
  const v = entity[field];
  if (v === undefined || (v === null && nullable)) return v as null | undefined;
  if (typeof v !== 'string') {
    throw invalid(field, `${quoteRepr(v)} is not of type 'string'${nullable ? ", 'null'" : ''}`);
  }
  if (v.length > max) throw invalid(field, `${quoteRepr(v)} is too long`);
  return v;
}

/** An optional boolean. */
export function booleanOf(entity: Fields, field: string): boolean | undefined {
  const v = entity[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(field, `${quoteRepr(v)} is not of type 'boolean'`);
  return v;
}

/** Keystone's `query_filter_is_true`: a filter given with no value, or any value but `0` and `false`, is true. */
export function queryFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '0' && value.toLowerCase() !== 'false';
}

/** Keystone's `enabled` list filter: present and not `0`/`false` is true. */
export function enabledFilter(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : queryFlag(value);
}
