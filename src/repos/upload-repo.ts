import type { Kysely } from 'kysely';
import type { Store } from '../db/database.js';
import type { Db } from '../db/prepared.js';
import type { Database, UploadTable } from '../db/schema.js';

/**
 * Image uploads in progress (migration 0008): a row lives exactly while its image is `saving`, written in
 * the same transactions as the image's status, image row first (the lock order of every image writer).
 */
export class UploadRepo {
  private readonly db: Kysely<Database>;

  constructor(private readonly store: Store) {
    this.db = store.db;
  }

  /** Records the upload that took the image to `saving` (replacing a row a dead upload may have left). */
  async start(upload: UploadTable, trx: Db): Promise<void> {
    await trx.insertInto('uploads').values(upload)
      .onConflict((oc) => oc.column('image_id').doUpdateSet({
        owner: upload.owner, temp_file: upload.temp_file, lease_until: upload.lease_until, created_at: upload.created_at,
      })).execute();
  }

  /** Extends the lease of `owner`'s upload; false when the upload is no longer there (swept, image deleted). */
  async renew(imageId: string, owner: string, leaseUntil: string): Promise<boolean> {
    const res = await this.db.updateTable('uploads').set({ lease_until: leaseUntil })
      .where('image_id', '=', imageId).where('owner', '=', owner).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async end(imageId: string, trx: Db): Promise<void> {
    await trx.deleteFrom('uploads').where('image_id', '=', imageId).execute();
  }

  /** The temp file of the image's upload in progress, if any. */
  async tempFile(imageId: string, trx: Db = this.db): Promise<string | undefined> {
    const row = await trx.selectFrom('uploads').select('temp_file').where('image_id', '=', imageId).executeTakeFirst();
    return row?.temp_file;
  }

  /**
   * Images in `saving` without a live upload (its process died) go back to `queued`; the expired uploads'
   * rows go. Returns the temp files of the expired uploads (to remove) and of the live ones (to keep).
   */
  sweep(now: string): Promise<{ requeued: number; expired: string[]; live: string[] }> {
    return this.store.transaction(async (trx) => {
      const res = await trx.updateTable('images').set({ status: 'queued', updated_at: now })
        .where('status', '=', 'saving')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('uploads as u').select('u.image_id')
          .whereRef('u.image_id', '=', 'images.id').where('u.lease_until', '>=', now))))
        .executeTakeFirst();
      const expired = await trx.deleteFrom('uploads').where('lease_until', '<', now).returning('temp_file').execute();
      const live = await trx.selectFrom('uploads').select('temp_file').execute();
      return {
        requeued: Number(res.numUpdatedRows), expired: expired.map((r) => r.temp_file), live: live.map((r) => r.temp_file),
      };
    });
  }
}
