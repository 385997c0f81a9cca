import type { Kysely, Transaction } from 'kysely';
import type { Database, KmsGrantTable } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Which projects a KMS key has been granted to (Decrypt Data Key + Describe Key, recorded by an operator). */
export class KmsGrantRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async grant(keyId: string, projectId: string, now: string, trx: Db = this.db): Promise<void> {
    await trx.insertInto('kms_grants').values({ key_id: keyId, project_id: projectId, created_at: now })
      .onConflict((oc) => oc.columns(['key_id', 'project_id']).doNothing()).execute();
  }

  async revoke(keyId: string, projectId: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.deleteFrom('kms_grants').where('key_id', '=', keyId).where('project_id', '=', projectId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  list(keyId?: string, trx: Db = this.db): Promise<KmsGrantTable[]> {
    let q = trx.selectFrom('kms_grants').selectAll();
    if (keyId !== undefined) q = q.where('key_id', '=', keyId);
    return q.orderBy('key_id').orderBy('project_id').execute();
  }

  async isGranted(keyId: string, projectId: string, trx: Db = this.db): Promise<boolean> {
    const row = await trx.selectFrom('kms_grants').select('key_id').where('key_id', '=', keyId)
      .where('project_id', '=', projectId).executeTakeFirst();
    return row !== undefined;
  }

  /** Of `projectIds`, those the key was granted to. */
  async grantedOf(keyId: string, projectIds: readonly string[], trx: Db = this.db): Promise<Set<string>> {
    if (projectIds.length === 0) return new Set();
    const rows = await trx.selectFrom('kms_grants').select('project_id').where('key_id', '=', keyId)
      .where('project_id', 'in', projectIds).execute();
    return new Set(rows.map((r) => r.project_id));
  }
}
