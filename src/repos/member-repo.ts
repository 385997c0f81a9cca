import type { Kysely, Transaction } from 'kysely';
import type { Database, ImageMemberTable } from '../db/schema.js';
import { isUniqueViolation } from '../db/errors.js';

type Db = Kysely<Database> | Transaction<Database>;

export type MemberRow = ImageMemberTable;

/** Image memberships. The primary key (image_id, member_id) is what forbids duplicates. */
export class MemberRepo {
  constructor(private readonly db: Kysely<Database>) {}

  get(imageId: string, memberId: string, trx: Db = this.db): Promise<MemberRow | undefined> {
    return trx.selectFrom('image_members').selectAll().where('image_id', '=', imageId)
      .where('member_id', '=', memberId).executeTakeFirst();
  }

  /** Members of an image in creation order; `only` narrows to one member's row (what a member may see). */
  list(imageId: string, only?: string, trx: Db = this.db): Promise<MemberRow[]> {
    let q = trx.selectFrom('image_members').selectAll().where('image_id', '=', imageId);
    if (only !== undefined) q = q.where('member_id', '=', only);
    return q.orderBy('created_at').orderBy('member_id').execute();
  }

  /** A keyset page in (created_at, member_id) order, after the member `after` (exclusive). */
  async page(imageId: string, limit: number, after?: MemberRow, only?: string, trx: Db = this.db)
    : Promise<MemberRow[]> {
    let q = trx.selectFrom('image_members').selectAll().where('image_id', '=', imageId);
    if (only !== undefined) q = q.where('member_id', '=', only);
    if (after) {
      q = q.where((eb) => eb.or([
        eb('created_at', '>', after.created_at),
        eb.and([eb('created_at', '=', after.created_at), eb('member_id', '>', after.member_id)]),
      ]));
    }
    return q.orderBy('created_at').orderBy('member_id').limit(limit).execute();
  }

  async count(imageId: string, trx: Db = this.db): Promise<number> {
    const row = await trx.selectFrom('image_members').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('image_id', '=', imageId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Inserts a membership; false when it already exists (the unique key decides, not a prior read). */
  async insert(row: MemberRow, trx: Db = this.db): Promise<boolean> {
    try {
      const res = await trx.insertInto('image_members').values(row)
        .onConflict((oc) => oc.columns(['image_id', 'member_id']).doNothing()).executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Inserts many memberships, keeping existing rows (and their status) untouched; returns how many were new. */
  async insertMany(rows: MemberRow[], trx: Db = this.db): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const res = await trx.insertInto('image_members').values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['image_id', 'member_id']).doNothing()).executeTakeFirst();
      inserted += Number(res.numInsertedOrUpdatedRows ?? 0n);
    }
    return inserted;
  }

  async updateStatus(imageId: string, memberId: string, status: string, vaultId: string | null | undefined,
    updatedAt: string, trx: Db = this.db): Promise<MemberRow | undefined> {
    const patch: Partial<MemberRow> = { status, updated_at: updatedAt };
    if (vaultId !== undefined) patch.vault_id = vaultId;
    await trx.updateTable('image_members').set(patch).where('image_id', '=', imageId)
      .where('member_id', '=', memberId).execute();
    return this.get(imageId, memberId, trx);
  }

  async delete(imageId: string, memberId: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.deleteFrom('image_members').where('image_id', '=', imageId)
      .where('member_id', '=', memberId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
