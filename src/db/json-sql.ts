import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { DialectName } from './database.js';

/** Predicates over JSON text columns; the one place where the two engines' JSON functions differ. */
export interface JsonSql {
  /** The JSON array in `column` contains the string `value`. */
  arrayContains(column: string, value: string): RawBuilder<SqlBool>;
  /** The JSON object in `column` maps `key` to the string `value`. */
  objectHas(column: string, key: string, value: string): RawBuilder<SqlBool>;
}

const sqliteJson: JsonSql = {
  arrayContains: (column, value) =>
    sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}) as j where j.value = ${value})`,
  objectHas: (column, key, value) =>
    sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}) as j where j.key = ${key} and j.value = ${value})`,
};

const postgresJson: JsonSql = {
  arrayContains: (column, value) =>
    sql<SqlBool>`(${sql.ref(column)}::jsonb @> jsonb_build_array(${value}::text))`,
  objectHas: (column, key, value) =>
    sql<SqlBool>`(${sql.ref(column)}::jsonb ->> ${key}::text) = ${value}::text`,
};

export function jsonSql(dialect: DialectName): JsonSql {
  return dialect === 'postgres' ? postgresJson : sqliteJson;
}
