import {
  type CompiledQuery, type Expression, expressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool, sql,
  type Transaction,
} from 'kysely';
import type { Store } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import { type JsonSql, jsonSql } from '../db/json-sql.js';
import type { Db, Prepared } from '../db/prepared.js';
import type { Database, ImageRow, NewImageRow } from '../db/schema.js';
import type { Image, ImageStatus, Visibility } from '../domain/image.js';
import { type ImageFilters, type ImageListQuery, SORT_KEYS, type SortItem, type SortKey, type TimeFilter } from '../domain/image-query.js';
import type { MemberStatus } from '../domain/member.js';
import { RevCache } from './rev-cache.js';

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

/** An image the caller asked for by id: the image, its rev, and the caller's membership status. */
export interface FoundImage {
  image: Image;
  rev: number;
  memberStatus: MemberStatus | undefined;
}

/** An image as locked for a change, and how many memberships it has. */
export interface LockedImage {
  image: Image;
  members: number;
}

/** Images kept in memory by (id, rev); at ~2.5 KB each (object and rendered body) about 12 MB at most. */
const CACHED_IMAGES = 5_000;
/** Compiled list queries kept, one per distinct list request (its query string, admin or not, first page or not). */
const LIST_SHAPES = 500;
/**
 * List pages kept (arrays of cached images, and their rendered body: ~1 KB an image), by viewer, request and
 * marker: at most this many images in all (~10 MB), and as many pages remembered as asked for once.
 */
const CACHED_PAGE_IMAGES = 10_000;

/** One compiled list query and the key of the requests it answers. */
interface ListShape {
  key: string;
  query: Prepared<Record<string, unknown>, ImageRef>;
}

/** Who is listing: admins are not narrowed by visibility or membership. */
export interface ImageViewer {
  projectId: string;
  isAdmin: boolean;
}

/** Columns PATCH may write; status, size and checksums belong to the upload path only. */
export type MutableFields = Pick<Image, 'name' | 'visibility' | 'protected' | 'os_hidden' | 'owner'
  | 'container_format' | 'disk_format' | 'min_ram' | 'min_disk' | 'tags' | 'extra' | 'updated_at'>;
export type DataFields = Partial<Pick<Image, 'size' | 'virtual_size' | 'checksum' | 'os_hash_algo' | 'os_hash_value'>>;

export function toRow(image: Image): NewImageRow {
  return {
    ...image, protected: image.protected ? 1 : 0, os_hidden: image.os_hidden ? 1 : 0,
    tags: JSON.stringify(image.tags), extra: JSON.stringify(image.extra),
  };
}

export function fromRow(row: Omit<ImageRow, 'rev'>): Image {
  return {
    id: row.id, name: row.name, owner: row.owner, visibility: row.visibility as Visibility,
    status: row.status as ImageStatus, container_format: row.container_format, disk_format: row.disk_format,
    size: row.size === null ? null : Number(row.size),
    virtual_size: row.virtual_size === null ? null : Number(row.virtual_size), checksum: row.checksum,
    os_hash_algo: row.os_hash_algo, os_hash_value: row.os_hash_value, min_disk: row.min_disk, min_ram: row.min_ram,
    protected: Boolean(row.protected), os_hidden: Boolean(row.os_hidden),
    tags: JSON.parse(row.tags) as string[], extra: JSON.parse(row.extra) as Record<string, string>,
    created_at: row.created_at, updated_at: row.updated_at,
  };
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

function sortValue(marker: Image, key: SortKey): string | number {
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

const IMAGETYPE_VISIBILITIES: Record<NonNullable<ImageFilters['imagetype']>, Visibility[]> = {
  gold: ['public', 'community'], shared: ['shared'], private: ['private'], market: [],
};

/** The image queries of the request path, compiled once. */
function queries(store: Store) {
  const { db } = store;
  const byId = (p: { id: string }) => db.selectFrom('images').selectAll().where('id', '=', p.id);
  return {
    byId: store.prepare(byId, { coalesce: true }),
    /** Row-locked until the transaction ends (PostgreSQL; SQLite's write transaction is exclusive). */
    lock: store.prepare((p: { id: string }) => (store.caps.rowLocks ? byId(p).forUpdate() : byId(p))),
    /** What deciding visibility needs, and the rev that tells whether the cached image still holds. */
    access: store.prepare((p: { id: string; memberId: string }) => db.selectFrom('images')
      .leftJoin('image_members as m', (join) => join.onRef('m.image_id', '=', 'images.id')
        .on('m.member_id', '=', p.memberId))
      .select(['images.rev', 'm.status as member_status'])
      .where('images.id', '=', p.id), { coalesce: true }),
    memberStatus: store.prepare((p: { imageId: string; memberId: string }) => db.selectFrom('image_members')
      .select('status').where('image_id', '=', p.imageId).where('member_id', '=', p.memberId), { coalesce: true }),
    /** The revs of a project's scope and of everyone's (migrations 0004, 0005), null if none yet. */
    listRevs: store.prepare((p: { scope: string }) => db.selectNoFrom((eb) => [
      eb.selectFrom('list_revs').select('rev').where('scope', '=', p.scope).as('mine'),
      eb.selectFrom('list_revs').select('rev').where('scope', '=', '').as('everyone'),
    ]), { coalesce: true }),
    /** Gives a scope its row, so the triggers renew it from now on. */
    addListRev: store.prepare((p: { scope: string; rev: number }) => db.insertInto('list_revs')
      .values({ scope: p.scope, rev: p.rev }).onConflict((oc) => oc.column('scope').doNothing())),
  };
}

/** A cached image is shared by every request that reads it: nobody may change it. */
function frozen(image: Image): Image {
  Object.freeze(image.tags);
  Object.freeze(image.extra);
  return Object.freeze(image);
}

/**
 * The image catalog: rows of `images`, tags and extra properties as JSON text, members via `image_members`.
 * Reads outside transactions return images shared through a cache keyed by (id, rev): frozen objects, the
 * same one for as long as the row does not change.
 */
export class ImageRepo {
  private readonly db: Kysely<Database>;
  private readonly json: JsonSql;
  private readonly q: ReturnType<typeof queries>;
  private readonly cache = new RevCache<Image>(CACHED_IMAGES);
  private readonly shapes = new Map<string, ListShape>();
  private readonly pages = new RevCache<readonly Image[], string>(CACHED_PAGE_IMAGES);
  private readonly pagesSeen = new RevCache<true, string>(CACHED_PAGE_IMAGES);

  constructor(private readonly store: Store) {
    this.db = store.db;
    this.json = jsonSql(store.dialect);
    this.q = queries(store);
  }

  async get(id: string, trx?: Db): Promise<Image | undefined> {
    const row = await this.q.byId.first({ id }, trx);
    return row && fromRow(row);
  }

  /**
   * The image and the status of `memberId`'s membership of it: the rev and the membership are read, and the
   * full row only when the cached image is not that rev.
   */
  async getWithMembership(id: string, memberId: string): Promise<FoundImage | undefined> {
    const access = await this.q.access.first({ id, memberId });
    if (!access) return undefined;
    const memberStatus = (access.member_status ?? undefined) as MemberStatus | undefined;
    const image = this.cache.get(id, access.rev);
    if (image) return { image, rev: access.rev, memberStatus };
    const row = await this.q.byId.first({ id });
    return row && { image: this.cached(row), rev: row.rev, memberStatus };
  }

  /** The image of this row, from the cache when it holds this rev. */
  private cached(row: ImageRow): Image {
    return this.cache.get(row.id, row.rev) ?? this.cache.set(row.id, row.rev, frozen(fromRow(row)));
  }

  /** The images of a list page, in its order: cached ones as they are, the others read in one query. */
  private async resolve(refs: ImageRef[]): Promise<Image[]> {
    const images = refs.map((r) => this.cache.get(r.id, r.rev));
    const missing = refs.filter((_r, i) => images[i] === undefined).map((r) => r.id);
    if (missing.length === 0) return images as Image[];
    const rows = await this.db.selectFrom('images').selectAll().where('id', 'in', missing).execute();
    const loaded = new Map(rows.map((row) => [row.id, this.cached(row)]));
    // An image deleted since the page was read is left out, as a page read a moment later would.
    return refs.map((r, i) => images[i] ?? loaded.get(r.id)).filter((image) => image !== undefined);
  }

  /**
   * The image and its member count, row-locked until the transaction ends (PostgreSQL; SQLite's write
   * transaction is exclusive). The row is read whole: the change to come takes a new rev, so an image kept
   * under this one would rarely serve again.
   */
  async lock(id: string, trx: Transaction<Database>): Promise<LockedImage | undefined> {
    const row = await this.q.lock.first({ id }, trx);
    return row && { image: this.cache.get(id, row.rev) ?? fromRow(row), members: Number(row.member_count) };
  }

  async memberStatus(imageId: string, memberId: string, trx?: Db): Promise<MemberStatus | undefined> {
    const row = await this.q.memberStatus.first({ imageId, memberId }, trx);
    return row?.status as MemberStatus | undefined;
  }

  /** Inserts a new image; false if the id is taken. */
  async insert(image: Image, trx: Db = this.db): Promise<boolean> {
    try {
      await trx.insertInto('images').values(toRow(image)).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Writes the PATCH-able columns; false if the image is gone. */
  async update(id: string, fields: MutableFields, trx: Db = this.db): Promise<boolean> {
    const res = await trx.updateTable('images').set({
      name: fields.name, visibility: fields.visibility, owner: fields.owner,
      container_format: fields.container_format, disk_format: fields.disk_format,
      min_ram: fields.min_ram, min_disk: fields.min_disk, updated_at: fields.updated_at,
      protected: fields.protected ? 1 : 0, os_hidden: fields.os_hidden ? 1 : 0,
      tags: JSON.stringify(fields.tags), extra: JSON.stringify(fields.extra),
    }).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Moves the image from one status to another (with the data attributes), only if it is still in `from`. */
  async transition(id: string, from: ImageStatus, to: ImageStatus, updatedAt: string, data: DataFields = {},
    trx: Db = this.db): Promise<boolean> {
    const res = await trx.updateTable('images').set({ ...data, status: to, updated_at: updatedAt })
      .where('id', '=', id).where('status', '=', from).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Deletes the image; its memberships go with it (foreign key cascade). */
  async delete(id: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.deleteFrom('images').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /**
   * One page of the images the viewer may list (glance-members.md §3.2). For a non-admin the visibility union
   * is one branch per index (public, community, owned, shared-with-me), each ordered, keyset-filtered and
   * limited on its own, then merged (UNION ALL of disjoint branches): no branch reads rows the viewer cannot see.
   */
  async list(viewer: ImageViewer, query: ImageListQuery, marker?: Image): Promise<readonly Image[]> {
    if (query.limit === 0) return [];
    const shape = this.listShape(viewer.isAdmin, query, marker !== undefined);
    const values: Record<string, unknown> = { me: viewer.projectId };
    if (marker) for (const key of SORT_KEYS) values[`marker_${key}`] = sortValue(marker, key);
    const read = async () => this.resolve(await shape.query.all(values));
    // Admins list everything: no one scope versions that.
    if (viewer.isAdmin) return read();
    const version = await this.listVersion(viewer.projectId);
    const key = `${viewer.projectId}\u0000${shape.key}\u0000${marker?.id ?? ''}`;
    const kept = this.pages.get(key, version);
    if (kept) return kept;
    const page = await read();
    // Kept from its second request on: a page asked for once (a client walking a long list) is not kept.
    if (this.pagesSeen.get(key, version) === undefined) {
      this.pagesSeen.set(key, version, true);
      return page;
    }
    return this.pages.set(key, version, Object.freeze(page), page.length + 1);
  }

  /** The revs of the viewer's scope and of everyone's (migrations 0004, 0005); a scope without a row gets one first. */
  private async listVersion(scope: string): Promise<string> {
    let revs = (await this.q.listRevs.first({ scope }))!;
    if (revs.mine === null || revs.everyone === null) {
      const rev = () => Math.floor(Math.random() * 2 ** 52);
      if (revs.mine === null) await this.q.addListRev.run({ scope, rev: rev() });
      if (revs.everyone === null) await this.q.addListRev.run({ scope: '', rev: rev() });
      revs = (await this.q.listRevs.first({ scope }))!;
    }
    return `${revs.mine}:${revs.everyone}`;
  }

  /**
   * The list query of this request's shape, compiled once: every value of the query string (`query.key`) is
   * part of it, the viewer's project and the marker's sort values are parameters (so every caller, and every
   * page, shares it). Bounded; the shape compiled longest ago goes first.
   */
  private listShape(isAdmin: boolean, query: ImageListQuery, paged: boolean): ListShape {
    const key = `${isAdmin} ${paged} ${query.key}`;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = { key, query: this.store.prepare((p: Record<string, string>) => {
        const marker = paged ? new Proxy({}, { get: (_t, k) => p[`marker_${String(k)}`] }) as Image : undefined;
        return this.listQuery({ projectId: p.me!, isAdmin }, query, marker);
      }, { planEachRun: true }) };
      if (this.shapes.size >= LIST_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
      this.shapes.set(key, shape);
    }
    return shape;
  }

  /**
   * The query behind `list` (exposed so tests can EXPLAIN it): the (id, rev) of each image of the page. The
   * branches of a union also carry the sort columns, for the outer ORDER BY.
   */
  listQuery(viewer: ImageViewer, query: ImageListQuery, marker?: Image): ListQuery {
    const { db } = this;
    const filters = this.filters(query.filters);
    const columns = [...new Set<SortKey | 'rev'>(['id', 'rev', ...query.sort.map((s) => s.key)])]
      .map((c) => `images.${c}` as const);
    const page = (q: ImageSelect) => {
      let p = q.where(filters);
      if (marker) p = p.where(afterMarker(query.sort, marker));
      return query.sort.reduce((acc, s) => acc.orderBy(sortExpr(s.key), s.dir), p).limit(query.limit);
    };
    const scoped = (cond: Condition) =>
      page(db.selectFrom('images').select(columns).where(cond) as unknown as ImageSelect);
    if (viewer.isAdmin) return scoped(this.adminScope(viewer, query));
    const branches = this.userBranches(viewer, query).map(scoped);
    if (this.sharedWithMe(query)) {
      const join = this.membershipJoin(viewer, query, columns);
      branches.push(this.membershipPage(join, query, filters, marker) ?? page(join));
    }
    if (branches.length === 1) return branches[0]!;
    const [first, ...others] = branches.map((b) => db.selectFrom(b.as('b')).selectAll());
    // The branches are disjoint (owned images by visibility, shared ones by membership of others' images).
    const union = others.reduce((u, b) => u.unionAll(b), first!);
    let outer = db.selectFrom(union.as('u')).select(['id', 'rev']);
    for (const s of query.sort) outer = outer.orderBy(sortExpr(s.key, false), s.dir);
    return outer.limit(query.limit);
  }

  /** Admins see every image; without a visibility filter, community images of others are left out. */
  private adminScope(viewer: ImageViewer, query: ImageListQuery): Condition {
    const v = query.visibility;
    if (v === 'all') return sql<SqlBool>`1 = 1`;
    if (v !== undefined) return eb('images.visibility', '=', v);
    return eb.or([eb('images.visibility', '<>', 'community'), eb('images.owner', '=', viewer.projectId)]);
  }

  /** The non-admin branches on `images` alone (public, community, owned), pruned by the visibility filter. */
  private userBranches(viewer: ImageViewer, query: ImageListQuery): Condition[] {
    const v = query.visibility;
    const me = viewer.projectId;
    const branches: Condition[] = [];
    if (v === undefined || v === 'all' || v === 'public') branches.push(eb('images.visibility', '=', 'public'));
    if (v === 'all' || v === 'community') branches.push(eb('images.visibility', '=', 'community'));
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

  private sharedWithMe(query: ImageListQuery): boolean {
    return query.visibility === undefined || query.visibility === 'all' || query.visibility === 'shared';
  }

  /**
   * Shared images the viewer is a member of, driven from its memberships (image_members_member_status_idx)
   * and joined to images by key: CROSS JOIN makes SQLite keep that loop order; PostgreSQL plans it freely.
   */
  private membershipJoin(viewer: ImageViewer, query: ImageListQuery, columns: `images.${SortKey | 'rev'}`[]): ImageSelect {
    let q = this.db.selectFrom('image_members as m').crossJoin('images').select(columns)
      .whereRef('images.id', '=', 'm.image_id').where('m.member_id', '=', viewer.projectId)
      .where('images.owner', '<>', viewer.projectId)
      .where('images.visibility', '=', 'shared');
    if (query.memberStatus !== 'all') q = q.where('m.status', '=', query.memberStatus);
    return q as unknown as ImageSelect;
  }

  /**
   * The default order (created_at, id) over one member status walks image_members_member_status_idx
   * (member_id, status, image_created_at, image_id) in index order and stops after `limit` rows, so a page
   * costs the same with 1,000 or 100,000 shares. Other orders fall back to sorting the caller's shares.
   */
  private membershipPage(join: ImageSelect, query: ImageListQuery, filters: Condition, marker?: Image)
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

  private filters(f: ImageFilters): Condition {
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
    if (f.imagetype) {
      const vis = IMAGETYPE_VISIBILITIES[f.imagetype];
      c.push(vis.length === 0 ? sql<SqlBool>`1 = 0` : eb('images.visibility', 'in', vis));
    }
    for (const tag of f.tags) c.push(this.json.arrayContains('images.tags', tag));
    for (const [key, value] of f.extra) c.push(this.json.objectHas('images.extra', key, value));
    return eb.and(c);
  }
}
