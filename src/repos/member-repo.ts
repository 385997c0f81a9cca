import type { ExpressionBuilder, Kysely, QueryCreator } from 'kysely';
import type { Store } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Db } from '../db/prepared.js';
import type { Database, ImageMemberTable } from '../db/schema.js';
import type { Cache, CacheSpace } from '../cache/cache-space.js';
import type { MemberStatus } from '../domain/member.js';
import type { LockedImage } from './image-repo.js';
import { INDIRECT_MEMBERS } from './reach.js';

export type MemberRow = ImageMemberTable;

type Key = { imageId: string; memberId: string };

/** A membership row in memory, with its rendered body (member ids and vault ids are at most 255 characters). */
const MEMBER_BYTES = 1024;

type WithLocked = Database & { locked_image: { id: string } };

/** The membership queries of the request path, compiled once. */
function queries(store: Store) {
  const { db } = store;
  /**
   * Changes of one image's memberships lock the image row first where the engine has row locks, as every
   * writer of them does (the rev triggers touch the image row after the membership rows): a CTE that
   * locks it gives the image id to the statement, so the order holds within one statement.
   */
  const lockFirst = (imageId: string) => (store.caps.rowLocks
    ? db.with('locked_image', (qb) => qb.selectFrom('images').select('id').where('id', '=', imageId).forUpdate())
    : db) as unknown as QueryCreator<WithLocked>;
  const lockedId = (imageId: string) => (eb: ExpressionBuilder<WithLocked, 'image_members'>) =>
    (store.caps.rowLocks ? eb.selectFrom('locked_image').select('id') : eb.val(imageId));
  return {
    byKey: store.prepare((p: Key) => db.selectFrom('image_members').selectAll()
      .where('image_id', '=', p.imageId).where('member_id', '=', p.memberId), { coalesce: true }),
    ofImage: store.prepare((p: { imageId: string }) => db.selectFrom('image_members').selectAll()
      .where('image_id', '=', p.imageId).orderBy('created_at').orderBy('member_id')),
    insert: store.prepare((p: MemberRow) => db.insertInto('image_members').values({
      image_id: p.image_id, member_id: p.member_id, status: p.status, vault_id: p.vault_id,
      image_created_at: p.image_created_at, created_at: p.created_at, updated_at: p.updated_at,
      member_type: p.member_type, urn: p.urn,
    }).onConflict((oc) => oc.columns(['image_id', 'member_id']).doNothing())),
    setStatus: store.prepare((p: Key & { status: string; updatedAt: string }) => lockFirst(p.imageId)
      .updateTable('image_members').set({ status: p.status, updated_at: p.updatedAt })
      .where('image_id', '=', lockedId(p.imageId)).where('member_id', '=', p.memberId).returningAll()),
    setStatusVault: store.prepare((p: Key & { status: string; updatedAt: string; vaultId: string | null }) =>
      lockFirst(p.imageId).updateTable('image_members')
        .set({ status: p.status, updated_at: p.updatedAt, vault_id: p.vaultId })
        .where('image_id', '=', lockedId(p.imageId)).where('member_id', '=', p.memberId).returningAll()),
    delete: store.prepare((p: Key) => lockFirst(p.imageId).deleteFrom('image_members')
      .where('image_id', '=', lockedId(p.imageId)).where('member_id', '=', p.memberId)),
  };
}

/** Image memberships. The primary key (image_id, member_id) is what forbids duplicates. */
export class MemberRepo {
  private readonly db: Kysely<Database>;
  private readonly q: ReturnType<typeof queries>;
  private readonly lists: Cache<readonly MemberRow[]>;
  private readonly rows: Cache<MemberRow | null>;

  constructor(store: Store, caches: CacheSpace) {
    this.lists = caches.cache('member-lists');
    this.rows = caches.cache('member-rows');
    this.db = store.db;
    this.q = queries(store);
  }

  get(imageId: string, memberId: string, trx?: Db): Promise<MemberRow | undefined> {
    return this.q.byKey.first({ imageId, memberId }, trx);
  }

  /**
   * Members of an image in creation order; `only` narrows to some members' rows (what a member may see: its own,
   * its account's). `rev` is the image's rev as the caller just read it: the full list is kept under it and
   * shared, frozen, by every caller that reads the same rev.
   */
  async list(imageId: string, rev: number, only?: readonly string[]): Promise<readonly MemberRow[]> {
    if (only !== undefined) {
      const rows = await Promise.all([...new Set(only)].map((id) => this.find(imageId, rev, id)));
      return rows.filter((r) => r !== undefined)
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.member_id.localeCompare(b.member_id));
    }
    const cached = this.lists.get(imageId, rev);
    if (cached) return cached;
    const rows = await this.q.ofImage.all({ imageId });
    for (const row of rows) Object.freeze(row);
    return this.lists.set(imageId, rev, Object.freeze(rows), 256 + MEMBER_BYTES * rows.length);
  }

  /**
   * Of `imageIds`, those shared with a project that answers to `reach` (its id, its account, its organization
   * nodes, nearest first: reach.ts reachIds), with the status of its nearest membership.
   */
  async memberOf(reach: readonly string[], imageIds: readonly string[]): Promise<Map<string, MemberStatus>> {
    const rows = await this.db.selectFrom('image_members').select(['image_id', 'member_id', 'status'])
      .where('member_id', 'in', reach).where('image_id', 'in', imageIds).execute();
    const nearest = new Map<string, { rank: number; status: MemberStatus }>();
    for (const r of rows) {
      const rank = reach.indexOf(r.member_id);
      const kept = nearest.get(r.image_id);
      if (!kept || rank < kept.rank) nearest.set(r.image_id, { rank, status: r.status as MemberStatus });
    }
    return new Map([...nearest].map(([id, n]) => [id, n.status]));
  }

  /** A keyset page in (created_at, member_id) order, after the member `after` (exclusive). */
  async page(imageId: string, limit: number, after?: MemberRow, only?: readonly string[], trx: Db = this.db)
    : Promise<MemberRow[]> {
    let q = trx.selectFrom('image_members').selectAll().where('image_id', '=', imageId);
    if (only !== undefined) q = q.where('member_id', 'in', only);
    if (after) {
      q = q.where((eb) => eb.or([
        eb('created_at', '>', after.created_at),
        eb.and([eb('created_at', '=', after.created_at), eb('member_id', '>', after.member_id)]),
      ]));
    }
    return q.orderBy('created_at').orderBy('member_id').limit(limit).execute();
  }

  /** One membership, kept (frozen, or its absence) under the image's rev like the lists. */
  async find(imageId: string, rev: number, memberId: string): Promise<MemberRow | undefined> {
    const key = `${imageId}\u0000${memberId}`;
    const kept = this.rows.get(key, rev) ?? this.lists.get(imageId, rev)?.find((m) => m.member_id === memberId);
    if (kept !== undefined) return kept ?? undefined;
    const row = await this.get(imageId, memberId);
    return this.rows.set(key, rev, row ? Object.freeze(row) : null, 64 + MEMBER_BYTES) ?? undefined;
  }

  /** Of `memberIds`, those already members of the locked image. */
  async existing(lock: LockedImage, memberIds: readonly string[]): Promise<Set<string>> {
    if (memberIds.length === 0) return new Set();
    const rows = await lock.trx.selectFrom('image_members').select('member_id').where('image_id', '=', lock.image.id)
      .where('member_id', 'in', memberIds).execute();
    return new Set(rows.map((r) => r.member_id));
  }

  /** Inserts a membership of the locked image; false when it already exists (the unique key decides). */
  async insert(lock: LockedImage, row: MemberRow): Promise<boolean> {
    try {
      return (await this.q.insert.run(row, lock.trx)) > 0;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /**
   * Inserts memberships of the locked image, keeping existing rows (and their status); returns how many were new.
   * A membership of an account or an organization node also records that such memberships exist (INDIRECT_MEMBERS).
   */
  async insertMany(lock: LockedImage, rows: readonly MemberRow[]): Promise<number> {
    if (rows.some((r) => r.member_type !== 'project')) {
      await lock.trx.insertInto('settings').values({ key: INDIRECT_MEMBERS, value: '1' })
        .onConflict((oc) => oc.column('key').doNothing()).execute();
    }
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const res = await lock.trx.insertInto('image_members').values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['image_id', 'member_id']).doNothing()).executeTakeFirst();
      inserted += Number(res.numInsertedOrUpdatedRows ?? 0n);
    }
    return inserted;
  }

  /**
   * Sets the status (and the vault, unless `vaultId` is undefined); the updated row, if the member exists. Given an
   * image id, one statement that locks the image row first; given a lock, inside its transaction.
   */
  updateStatus(image: string | LockedImage, memberId: string, status: string, vaultId: string | null | undefined,
    updatedAt: string): Promise<MemberRow | undefined> {
    const [imageId, trx] = typeof image === 'string' ? [image, undefined] : [image.image.id, image.trx];
    return vaultId === undefined
      ? this.q.setStatus.first({ imageId, memberId, status, updatedAt }, trx)
      : this.q.setStatusVault.first({ imageId, memberId, status, updatedAt, vaultId }, trx);
  }

  /** Removes `memberIds` from the locked image (those that are members). */
  async deleteMany(lock: LockedImage, memberIds: readonly string[]): Promise<void> {
    if (memberIds.length === 0) return;
    await lock.trx.deleteFrom('image_members').where('image_id', '=', lock.image.id)
      .where('member_id', 'in', memberIds).execute();
  }

  /** Removes one membership in one statement that locks the image row first; false if it was not there. */
  async delete(imageId: string, memberId: string): Promise<boolean> {
    return (await this.q.delete.run({ imageId, memberId })) > 0;
  }
}
