import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Store } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import { type JsonSql, jsonSql } from '../db/json-sql.js';
import type { Db, Prepared } from '../db/prepared.js';
import type { Database, ImageRow, NewImageRow } from '../db/schema.js';
import type { Image, ImageStatus, Visibility } from '../domain/image.js';
import { type ImageListQuery, SORT_KEYS } from '../domain/image-query.js';
import type { MemberStatus, MemberType } from '../domain/member.js';
import { membershipMatters, type Viewer } from '../policy/visibility.js';
import {
  type ImageRef, type ImageViewer, listQuery, type ListQuery, sharedWithMe, sortValue,
} from './image-list-query.js';
import type { Cache, CacheSpace } from '../cache/cache-space.js';
import { INDIRECT_MEMBERS } from './reach.js';
import { reachTables } from './org-repo.js';

export type { ImageViewer } from './image-list-query.js';

/** A row of the list-version statement: a scope's rev, and whether it is a member of anything. */
type RevRow = { scope: string; rev: number | null; used: unknown };

/** A raw statement as Kysely's builders are: compiled against `db`. */
const compilable = <R>(db: Kysely<Database>, query: RawBuilder<R>) => ({ compile: () => query.compile(db) });

/** A new list version (migrations 0004, 0005 take random ones too). */
const newRev = () => Math.floor(Math.random() * 2 ** 52);

/** A project's membership of an image: its own, or the nearest share with its account or organization. */
export interface Membership {
  status: MemberStatus;
  /** The member row's id: the project's, its account's, or an organization node's. */
  memberId: string;
  memberType: MemberType;
}

/** An image the caller asked for by id: the image, its rev, and the caller's membership. */
export interface FoundImage {
  image: Image;
  rev: number;
  memberStatus: MemberStatus | undefined;
  membership?: Membership;
}

declare const locked: unique symbol;

/**
 * An image row-locked in a transaction, and how many memberships it had then: only `ImageRepo.lock` makes one.
 * Writes of an image's memberships inside a transaction take it (MemberRepo), so the lock order (the image row
 * first, src/db/README.md) is the API's, not a convention.
 */
export interface LockedImage {
  readonly image: Image;
  readonly members: number;
  readonly trx: Transaction<Database>;
  readonly [locked]: true;
}

/**
 * The bytes an image holds in memory: the object (strings twice over, UTF-16), and its rendered body (the
 * JSON once), judged from the row's JSON text of tags and properties plus the fixed attributes.
 */
const imageBytes = (row: Pick<ImageRow, 'tags' | 'extra'>) => 1536 + 3 * (row.tags.length + row.extra.length);

/**
 * A compiled list query in memory: its SQL (up to a few KB: a branch per index, each with every filter), the
 * operation tree it was compiled from, the statement, and the key of the requests it answers.
 */
const shapeBytes = (key: string) => 16_384 + 2 * key.length;

/** One compiled list query and the key of the requests it answers. */
interface ListShape {
  key: string;
  query: Prepared<Record<string, unknown>, ImageRef>;
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
      .select(['status', 'member_id', 'member_type']).where('image_id', '=', p.imageId)
      .where('member_id', '=', p.memberId), { coalesce: true }),
    /**
     * The revs of a project's scope and of everyone's (migrations 0004, 0005), null if none yet, and whether any
     * image was ever shared with an account or an organization (INDIRECT_MEMBERS).
     */
    listRevs: store.prepare((p: { scope: string }) => db.selectNoFrom((eb) => [
      eb.selectFrom('list_revs').select('rev').where('scope', '=', p.scope).as('mine'),
      eb.selectFrom('list_revs').select('rev').where('scope', '=', '').as('everyone'),
      eb.exists(eb.selectFrom('settings').select('key').where('key', '=', INDIRECT_MEMBERS)).as('indirect'),
    ]), { coalesce: true }),
    /** The image's membership nearest to the project among its account and organization nodes (OrgRepo's `reach`). */
    indirect: store.prepare((p: { imageId: string; me: string }) => compilable(db, sql<{ status: string;
      member_id: string; member_type: string }>`with recursive ${reachTables(p.me)}
      select m.status, m.member_id, m.member_type from reach r
      join image_members m on m.image_id = ${p.imageId} and m.member_id = r.member_id order by r.depth limit 1`)),
    /**
     * The versions of the viewer's scope, of everyone's, then of its account and organization nodes (nearest first:
     * OrgRepo's `reach`; null where none yet), and whether each is a member of any image: once indirect members exist.
     */
    allRevs: store.prepare((p: { me: string }) => compilable(db, sql<RevRow>`with recursive ${reachTables(p.me)},
      scopes(scope, depth) as (select cast(${p.me} as varchar(255)), -3 union all select '', -2
        union all select member_id, depth from reach)
      select s.scope, l.rev, exists(select 1 from image_members m where m.member_id = s.scope) as used
      from scopes s left join list_revs l on l.scope = s.scope order by s.depth`)),
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
  private readonly cache: Cache<Image>;
  /** The bytes of each cached image (imageBytes), for the size of the pages that hold it. */
  private readonly sizes = new WeakMap<Image, number>();
  /** Compiled list queries, one per distinct list request (its query string, admin or not, first page or not). */
  private readonly shapes: Cache<ListShape>;
  /** List pages (arrays of cached images, and their rendered body) by viewer, request and marker. */
  private readonly pages: Cache<readonly Image[], string>;
  /** Whether this process saw that images were shared with accounts or organizations (never undone). */
  private indirectSeen = false;
  /** Pages asked for once: kept from their second request on. */
  private readonly pagesSeen: Cache<true, string>;

  constructor(private readonly store: Store, caches: CacheSpace) {
    this.cache = caches.cache('images');
    this.pages = caches.cache('image-pages');
    this.pagesSeen = caches.cache('image-pages-seen');
    this.shapes = caches.cache('image-list-shapes');
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
    let image = this.cache.get(id, access.rev);
    if (!image) {
      const row = await this.q.byId.first({ id });
      if (!row) return undefined;
      image = this.cached(row);
    }
    const direct = access.member_status === null ? undefined
      : { status: access.member_status as MemberStatus, memberId, memberType: 'project' as const };
    // Shares with the project's account or organization count only where its membership decides.
    const membership = direct ?? (image.visibility === 'shared' && image.owner !== memberId
      ? await this.indirectMembership(id, memberId) : undefined);
    return { image, rev: access.rev, memberStatus: membership?.status, ...(membership ? { membership } : {}) };
  }

  /** The project's membership of the image: its own row, else the nearest share with its account or organization. */
  async membership(imageId: string, projectId: string, trx?: Db): Promise<Membership | undefined> {
    const row = await this.q.memberStatus.first({ imageId, memberId: projectId }, trx);
    if (row) return { status: row.status as MemberStatus, memberId: projectId, memberType: 'project' };
    return this.indirectMembership(imageId, projectId, trx);
  }

  /** The nearest share of the image with the project's account or an organization node above it, if any. */
  private async indirectMembership(imageId: string, projectId: string, trx?: Db): Promise<Membership | undefined> {
    const row = await this.q.indirect.first({ imageId, me: projectId }, trx);
    return row && { status: row.status as MemberStatus, memberId: row.member_id, memberType: row.member_type as MemberType };
  }


  /** The image of this row, from the cache when it holds this rev. */
  private cached(row: ImageRow): Image {
    const kept = this.cache.get(row.id, row.rev);
    if (kept) return kept;
    const image = frozen(fromRow(row));
    const bytes = imageBytes(row);
    this.sizes.set(image, bytes);
    return this.cache.set(row.id, row.rev, image, bytes);
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
    return row && {
      image: this.cache.get(id, row.rev) ?? fromRow(row), members: Number(row.member_count), trx,
    } as unknown as LockedImage;
  }

  /**
   * `lock`, and the viewer's membership of the image where the rule applied decides with it (`matters`: by
   * default the policy's `membershipMatters`, whether the viewer sees it); undefined otherwise.
   */
  async lockFor(viewer: Viewer, id: string, trx: Transaction<Database>,
    matters: (viewer: Viewer, image: Image) => boolean = membershipMatters)
    : Promise<{ lock: LockedImage | undefined; membership: MemberStatus | undefined }> {
    const lock = await this.lock(id, trx);
    const membership = lock && matters(viewer, lock.image)
      ? await this.membership(id, viewer.projectId, trx) : undefined;
    return { lock, membership: membership?.status };
  }

  /** IMS shares private images: a locked private image that gains a member becomes `shared`. */
  async markShared(lock: LockedImage, now: string): Promise<void> {
    if (lock.image.visibility !== 'private') return;
    await lock.trx.updateTable('images').set({ visibility: 'shared', updated_at: now }).where('id', '=', lock.image.id)
      .where('visibility', '=', 'private').execute();
  }

  /** The images of `ids` that exist (any visibility), read together. */
  async getMany(ids: readonly string[]): Promise<Image[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('images').selectAll().where('id', 'in', ids).execute();
    return rows.map((row) => this.cached(row));
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
   * One page of the images the viewer may list (Glance's `image_get_all`). For a non-admin the visibility union
   * is one branch per index (public, community, owned, shared-with-me), each ordered, keyset-filtered and
   * limited on its own, then merged (UNION ALL of disjoint branches): no branch reads rows the viewer cannot see.
   */
  async list(viewer: ImageViewer, query: ImageListQuery, marker?: Image): Promise<readonly Image[]> {
    if (query.limit === 0) return [];
    const values: Record<string, unknown> = { me: viewer.projectId };
    if (marker) for (const key of SORT_KEYS) values[`marker_${key}`] = sortValue(marker, key);
    // Admins list everything: no one scope versions that.
    if (viewer.isAdmin) return this.resolve(await this.listShape(true, query, marker !== undefined, 0).query.all(values));
    // The account and organization nodes whose shares reach the viewer, read anew for every list; a branch is
    // walked for those that are members of anything (the version covers them all, so a first share counts).
    const { version, reach: walked } = await this.listVersion(viewer.projectId, sharedWithMe(query));
    walked.forEach((id, i) => { values[`r${i}`] = id; });
    const shape = this.listShape(false, query, marker !== undefined, walked.length);
    const read = async () => this.resolve(await shape.query.all(values));
    const key = `${[viewer.projectId, ...walked].join(' ')}\u0000${shape.key}\u0000${marker?.id ?? ''}`;
    const kept = this.pages.get(key, version);
    if (kept) return kept;
    const page = await read();
    // Kept from its second request on: a page asked for once (a client walking a long list) is not kept.
    if (this.pagesSeen.get(key, version) === undefined) {
      this.pagesSeen.set(key, version, true, 128 + 2 * key.length);
      return page;
    }
    // The array, and the rendered list body: about each image's own rendered body again.
    let bytes = 256 + 2 * key.length;
    for (const image of page) bytes += 16 + (this.sizes.get(image) ?? 1536) / 3;
    return this.pages.set(key, version, Object.freeze(page), bytes);
  }

  /**
   * The revs of the viewer's scope, of everyone's (''), and of its account's and organization nodes' (their
   * memberships change its shared list) (migrations 0004, 0005), and which of those are members of any image
   * (`reach`, nearest first: the branches to walk); a scope without a row gets one first. The account and nodes
   * are read, with their revs in one statement, only when they matter: for a shared-with-me list (`shared`), once
   * any image was ever shared with an account or an organization (INDIRECT_MEMBERS, read with the viewer's revs).
   */
  private async listVersion(scope: string, shared: boolean): Promise<{ version: string; reach: string[] }> {
    // Once this process saw such shares (they are never forgotten), one statement reads everything.
    if (shared && this.indirectSeen) return this.reachVersion(scope);
    let own = (await this.q.listRevs.first({ scope }))!;
    if (own.mine === null || own.everyone === null) {
      if (own.mine === null) await this.q.addListRev.run({ scope, rev: newRev() });
      if (own.everyone === null) await this.q.addListRev.run({ scope: '', rev: newRev() });
      own = (await this.q.listRevs.first({ scope }))!;
    }
    const version = `${own.mine}:${own.everyone}`;
    if (Number(own.indirect) !== 1) return { version, reach: [] };
    this.indirectSeen = true;
    return shared ? this.reachVersion(scope) : { version, reach: [] };
  }

  /** listVersion from `allRevs`, giving any scope without a row one first. */
  private async reachVersion(scope: string): Promise<{ version: string; reach: string[] }> {
    let rows = await this.q.allRevs.all({ me: scope });
    if (rows.some((r) => r.rev === null)) {
      for (const r of rows) if (r.rev === null) await this.q.addListRev.run({ scope: r.scope, rev: newRev() });
      rows = await this.q.allRevs.all({ me: scope });
    }
    const reach = rows.slice(2);
    return {
      version: [...rows.slice(0, 2).map((r) => r.rev), ...reach.map((r) => `${r.scope}=${r.rev}`)].join(':'),
      reach: reach.filter((r) => Number(r.used) === 1).map((r) => r.scope),
    };
  }


  /**
   * The list query of this request's shape, compiled once: every value of the query string (`query.key`) is
   * part of it, the viewer's project and the marker's sort values are parameters (so every caller, and every
   * page, shares it). Kept in the cache space: planned each run, a dropped shape leaves no statement behind.
   */
  private listShape(isAdmin: boolean, query: ImageListQuery, paged: boolean, reached: number): ListShape {
    const key = `${isAdmin} ${paged} ${reached} ${query.key}`;
    const kept = this.shapes.get(key, 0);
    if (kept) return kept;
    const shape = { key, query: this.store.prepare((p: Record<string, string>) => {
      const marker = paged ? new Proxy({}, { get: (_t, k) => p[`marker_${String(k)}`] }) as Image : undefined;
      const reach = Array.from({ length: reached }, (_v, i) => p[`r${i}`]!);
      return this.listQuery({ projectId: p.me!, isAdmin, reach }, query, marker);
    }, { planEachRun: true }) };
    return this.shapes.set(key, 0, shape, shapeBytes(key));
  }

  /** The query behind `list` (exposed so tests can EXPLAIN it). */
  listQuery(viewer: ImageViewer, query: ImageListQuery, marker?: Image): ListQuery {
    return listQuery(this.db, this.json, viewer, query, marker);
  }
}
