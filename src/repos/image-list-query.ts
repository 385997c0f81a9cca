/**
 * The SQL of a Glance image list (Glance's `image_get_all`, glance/db/sqlalchemy/api.py): one branch per index the
 * viewer may list from, each ordered, keyset-filtered and limited on its own, merged with UNION ALL.
 */
import {
  type CompiledQuery, type Expression, expressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool, sql,
} from 'kysely';
import type { JsonSql } from '../db/json-sql.js';
import type { Database } from '../db/schema.js';
import type { Image, Visibility } from '../domain/image.js';
import type { ImageFilters, ImageListQuery, SortItem, SortKey, TimeFilter } from '../domain/image-query.js';

type Condition = Expression<SqlBool>;
/** Conditions on `images`, with qualified column names so they also hold in the membership join. */
const eb = expressionBuilder<Database, 'images'>();
/** A row of a list page: which image, and which version of it. */
export interface ImageRef {
  id: string;
  rev: number;
}
type ImageSelect = SelectQueryBuilder<Database, 'images', ImageRef>;
/** A compiled-or-run list query, whatever shape (one branch or a union) it took. */
export interface ListQuery {
  execute(): Promise<ImageRef[]>;
  compile(): CompiledQuery<ImageRef>;
}

/** Who is listing: admins are not narrowed by visibility or membership. */
export interface ImageViewer {
  projectId: string;
  isAdmin: boolean;
  /** The account and organization nodes above the project, nearest first: their shares reach it too. */
  reach?: readonly string[];
}

/** Sort keys that may be NULL compare as Glance's column defaults ('' or 0), in ORDER BY and keyset alike. */
const NULL_DEFAULTS: Partial<Record<SortKey, string | number>> = {
  name: '', container_format: '', disk_format: '', size: 0,
};

/** The sort expression of a key; `images.`-qualified inside the branches, bare over the union. */
function sortExpr(key: SortKey, qualified = true) {
  const ref = sql.ref(qualified ? `images.${key}` : key);
  const fallback = NULL_DEFAULTS[key];
  return fallback === undefined ? ref : sql`coalesce(${ref}, ${fallback})`;
}

export function sortValue(marker: Image, key: SortKey): string | number {
  return (marker[key] as string | number | null) ?? NULL_DEFAULTS[key]!;
}

/** Rows after the marker in the sort order: a row-value comparison when all directions agree (index friendly). */
function afterMarker(sort: SortItem[], marker: Image): Condition {
  if (sort.every((s) => s.dir === sort[0]!.dir)) {
    const cols = sql.join(sort.map((s) => sortExpr(s.key)));
    const vals = sql.join(sort.map((s) => sortValue(marker, s.key)));
    return sort[0]!.dir === 'asc' ? sql<SqlBool>`(${cols}) > (${vals})` : sql<SqlBool>`(${cols}) < (${vals})`;
  }
  return eb.or(sort.map((item, i) => eb.and([
    ...sort.slice(0, i).map((prev) => sql<SqlBool>`${sortExpr(prev.key)} = ${sortValue(marker, prev.key)}`),
    item.dir === 'asc'
      ? sql<SqlBool>`${sortExpr(item.key)} > ${sortValue(marker, item.key)}`
      : sql<SqlBool>`${sortExpr(item.key)} < ${sortValue(marker, item.key)}`,
  ])));
}

/** Second-resolution comparisons: stored times have milliseconds, the wire shows whole seconds. */
function timeCondition(column: 'images.created_at' | 'images.updated_at', f: TimeFilter): Condition {
  const start = new Date(Math.floor(f.at.getTime() / 1000) * 1000).toISOString();
  const next = new Date(Math.floor(f.at.getTime() / 1000) * 1000 + 1000).toISOString();
  switch (f.op) {
    case 'eq': return eb.and([eb(column, '>=', start), eb(column, '<', next)]);
    case 'neq': return eb.or([eb(column, '<', start), eb(column, '>=', next)]);
    case 'gt': return eb(column, '>=', next);
    case 'gte': return eb(column, '>=', start);
    case 'lt': return eb(column, '<', start);
    case 'lte': return eb(column, '<', next);
  }
}

const GOLD: Visibility[] = ['public', 'community'];

/** Images whose `__imagetype` to the viewer is `type` (policy/visibility.ts `imageTypeFor`). */
function imageTypeCondition(viewer: ImageViewer, type: NonNullable<ImageFilters['imagetype']>): Condition {
  const notMine = eb.or([eb('images.owner', 'is', null), eb('images.owner', '<>', viewer.projectId)]);
  switch (type) {
    case 'gold': return eb('images.visibility', 'in', GOLD);
    case 'private': return eb.and([eb('images.visibility', 'not in', GOLD),
      eb.or([eb('images.owner', '=', viewer.projectId), eb('images.visibility', '=', 'private')])]);
    case 'shared': return eb.and([eb('images.visibility', '=', 'shared'), notMine]);
    case 'market': return sql<SqlBool>`1 = 0`;
  }
}

/**
 * The query behind `ImageRepo.list`: the (id, rev) of each image of the page. The
 * branches of a union also carry the sort columns, for the outer ORDER BY.
 */
export function listQuery(db: Kysely<Database>, json: JsonSql, viewer: ImageViewer, query: ImageListQuery,
  marker?: Image): ListQuery {
  const filters = conditions(json, viewer, query.filters);
  const columns = [...new Set<SortKey | 'rev'>(['id', 'rev', ...query.sort.map((s) => s.key)])]
    .map((c) => `images.${c}` as const);
  const page = (q: ImageSelect) => {
    let p = q.where(filters);
    if (marker) p = p.where(afterMarker(query.sort, marker));
    return query.sort.reduce((acc, s) => acc.orderBy(sortExpr(s.key), s.dir), p).limit(query.limit);
  };
  const scoped = (cond: Condition) =>
    page(db.selectFrom('images').select(columns).where(cond) as unknown as ImageSelect);
  if (viewer.isAdmin) return scoped(adminScope(viewer, query));
  const branches = userBranches(viewer, query).map(scoped);
  if (sharedWithMe(query)) {
    // One branch per member id the viewer answers to, nearest first; an image also shared with a nearer one is
    // that one's (its membership is the nearest), so the branches stay disjoint.
    const ids = [viewer.projectId, ...(viewer.reach ?? [])];
    ids.forEach((memberId, i) => {
      const join = membershipJoin(db, viewer, query, columns, memberId, ids.slice(0, i));
      branches.push(membershipPage(join, query, filters, marker) ?? page(join));
    });
  }
  if (branches.length === 0) return scoped(sql<SqlBool>`1 = 0`);
  if (branches.length === 1) return branches[0]!;
  const [first, ...others] = branches.map((b) => db.selectFrom(b.as('b')).selectAll());
  // The branches are disjoint (owned images by visibility, shared ones by membership of others' images).
  const union = others.reduce((u, b) => u.unionAll(b), first!);
  let outer = db.selectFrom(union.as('u')).select(['id', 'rev']);
  for (const s of query.sort) outer = outer.orderBy(sortExpr(s.key, false), s.dir);
  return outer.limit(query.limit);
}

/** Admins see every image; without a visibility filter, community images of others are left out. */
function adminScope(viewer: ImageViewer, query: ImageListQuery): Condition {
  const v = query.visibility;
  if (v === 'all') return sql<SqlBool>`1 = 1`;
  if (v !== undefined) return eb('images.visibility', '=', v);
  return eb.or([eb('images.visibility', '<>', 'community'), eb('images.owner', '=', viewer.projectId)]);
}

/**
 * The non-admin branches on `images` alone (public, community, owned), pruned by the visibility filter and by
 * `__imagetype` (`shared` images are only in the membership branch, `private` ones only in the owned branch).
 */
function userBranches(viewer: ImageViewer, query: ImageListQuery): Condition[] {
  const type = query.filters.imagetype;
  if (type === 'shared' || type === 'market') return [];
  const v = query.visibility;
  const me = viewer.projectId;
  const branches: Condition[] = [];
  const gold = type !== 'private';
  if (gold && (v === undefined || v === 'all' || v === 'public')) branches.push(eb('images.visibility', '=', 'public'));
  if (gold && (v === 'all' || v === 'community')) branches.push(eb('images.visibility', '=', 'community'));
  // Owned images the public/community branches already hold are left out, so the branches are disjoint.
  if (v === undefined) branches.push(eb.and([eb('images.owner', '=', me), eb('images.visibility', '<>', 'public')]));
  if (v === 'all') {
    branches.push(eb.and([eb('images.owner', '=', me), eb('images.visibility', 'not in', ['public', 'community'])]));
  }
  if (v === 'private' || v === 'shared') {
    branches.push(eb.and([eb('images.owner', '=', me), eb('images.visibility', '=', v)]));
  }
  return branches;
}

/** Whether the list has images shared with the viewer. */
export function sharedWithMe(query: ImageListQuery): boolean {
  const type = query.filters.imagetype;
  return (type === undefined || type === 'shared')
    && (query.visibility === undefined || query.visibility === 'all' || query.visibility === 'shared');
}

/**
 * Shared images of which `memberId` (the viewer, its account or an organization node above it) is a member and
 * none of the `nearer` ids is, driven from its memberships (image_members_member_status_idx) and joined to images
 * by key: CROSS JOIN makes SQLite keep that loop order; PostgreSQL plans it freely.
 */
function membershipJoin(db: Kysely<Database>, viewer: ImageViewer, query: ImageListQuery,
  columns: `images.${SortKey | 'rev'}`[], memberId: string, nearer: readonly string[]): ImageSelect {
  let q = db.selectFrom('image_members as m').crossJoin('images').select(columns)
    .whereRef('images.id', '=', 'm.image_id').where('m.member_id', '=', memberId)
    // Ownerless shared images are listed to their members too (policy/visibility.ts).
    .where((eb) => eb.or([eb('images.owner', 'is', null), eb('images.owner', '<>', viewer.projectId)]))
    .where('images.visibility', '=', 'shared');
  if (query.memberStatus !== 'all') q = q.where('m.status', '=', query.memberStatus);
  if (nearer.length > 0) {
    q = q.where(({ not, exists, selectFrom }) => not(exists(selectFrom('image_members as n').select('n.image_id')
      .whereRef('n.image_id', '=', 'm.image_id').where('n.member_id', 'in', nearer))));
  }
  return q as unknown as ImageSelect;
}

/**
 * The default order (created_at, id) over one member status walks image_members_member_status_idx
 * (member_id, status, image_created_at, image_id) in index order and stops after `limit` rows, so a page
 * costs the same with 1,000 or 100,000 shares. Other orders fall back to sorting the caller's shares.
 */
function membershipPage(join: ImageSelect, query: ImageListQuery, filters: Condition, marker?: Image)
  : ImageSelect | undefined {
  const [first, second, ...rest] = query.sort;
  if (query.memberStatus === 'all' || rest.length > 0 || first?.key !== 'created_at' || second?.key !== 'id'
    || first.dir !== second.dir) return undefined;
  const dir = first.dir;
  let q = join.where(filters);
  if (marker) {
    const cmp = sql.raw(dir === 'asc' ? '>' : '<');
    q = q.where(sql<SqlBool>`(m.image_created_at, m.image_id) ${cmp} (${marker.created_at}, ${marker.id})`);
  }
  return q.orderBy(sql.ref('m.image_created_at'), dir).orderBy(sql.ref('m.image_id'), dir).limit(query.limit);
}

/** The filters of a list request as one condition on `images`. */
function conditions(json: JsonSql, viewer: ImageViewer, f: ImageFilters): Condition {
  const c: Expression<SqlBool>[] = [eb('images.os_hidden', '=', f.os_hidden ? 1 : 0)];
  for (const key of ['name', 'id', 'status', 'container_format', 'disk_format'] as const) {
    const vf = f[key];
    if (vf) c.push(vf.op === 'in' ? eb(`images.${key}`, 'in', vf.values) : eb(`images.${key}`, '=', vf.values[0]!));
  }
  for (const key of ['owner', 'checksum', 'os_hash_algo', 'os_hash_value'] as const) {
    if (f[key] !== undefined) c.push(eb(`images.${key}`, '=', f[key]!));
  }
  for (const key of ['size', 'virtual_size', 'min_ram', 'min_disk'] as const) {
    if (f[key] !== undefined) c.push(eb(`images.${key}`, '=', f[key]!));
  }
  if (f.size_min !== undefined) c.push(eb('images.size', '>=', f.size_min));
  if (f.size_max !== undefined) c.push(eb('images.size', '<=', f.size_max));
  if (f.protected !== undefined) c.push(eb('images.protected', '=', f.protected ? 1 : 0));
  if (f.created_at) c.push(timeCondition('images.created_at', f.created_at));
  if (f.updated_at) c.push(timeCondition('images.updated_at', f.updated_at));
  if (f.imagetype) c.push(imageTypeCondition(viewer, f.imagetype));
  for (const tag of f.tags) c.push(json.arrayContains('images.tags', tag));
  for (const [key, value] of f.extra) c.push(json.objectHas('images.extra', key, value));
  return eb.and(c);
}
