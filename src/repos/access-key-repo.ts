import type { Kysely, Selectable } from 'kysely';
import type { Store } from '../db/database.js';
import type { Db } from '../db/prepared.js';
import type { AccessKeyTable, Database } from '../db/schema.js';

export type AccessKeyRow = Selectable<AccessKeyTable>;

/**
 * A user's domain and default project (else the first project it holds a role on), and every role it holds on any
 * project (a domain-scoped signed caller).
 */
export interface DomainCaller {
  domainId: string;
  defaultProjectId: string;
  roles: string[];
}

/** The access-key queries of the signed-request path, compiled once. */
function queries(store: Store) {
  const { db } = store;
  return {
    // A disabled user's keys sign nothing (Keystone: a disabled user cannot authenticate).
    byAccess: store.prepare((p: { access: string }) => db.selectFrom('access_keys')
      .innerJoin('users', 'users.id', 'access_keys.user_id')
      .select(['access_keys.access', 'access_keys.secret', 'access_keys.user_id', 'access_keys.status'])
      .where('access_keys.access', '=', p.access).where('users.enabled', '=', 1), { coalesce: true }),
    touch: store.prepare((p: { access: string; now: string }) => db.updateTable('access_keys')
      .set({ last_used_at: p.now }).where('access', '=', p.access)),
  };
}

/**
 * Huawei IAM's permanent access keys (`access_keys`, migrations 0001 and 0014). Written one statement at a time,
 * but for `insertWithin`, which takes the user row first (src/db/README.md).
 */
export class AccessKeyRepo {
  private readonly db: Kysely<Database>;
  private readonly q: ReturnType<typeof queries>;

  constructor(private readonly store: Store) {
    this.db = store.db;
    this.q = queries(store);
  }

  /**
   * What a signature is checked against: read on every signed request, so a deleted or disabled key, or a disabled
   * user's, fails at once.
   */
  credential(access: string): Promise<Pick<AccessKeyRow, 'access' | 'secret' | 'user_id' | 'status'> | undefined> {
    return this.q.byAccess.first({ access });
  }

  /** Records that the key authenticated a request. */
  async touch(access: string, now: string): Promise<void> {
    await this.q.touch.run({ access, now });
  }

  find(access: string, trx: Db = this.db): Promise<AccessKeyRow | undefined> {
    return trx.selectFrom('access_keys').selectAll().where('access', '=', access).executeTakeFirst();
  }

  /** The keys of one user, or of every user, oldest first. */
  list(userId: string | undefined, trx: Db = this.db): Promise<AccessKeyRow[]> {
    let q = trx.selectFrom('access_keys').selectAll().orderBy('created_at').orderBy('access');
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return q.execute();
  }

  /**
   * Inserts the key unless its user holds `limit` keys already (whether it did). The user row is taken first
   * (PostgreSQL), so two creations for one user cannot both pass the count.
   */
  insertWithin(row: AccessKeyRow, limit: number): Promise<boolean> {
    return this.store.transaction(async (trx) => {
      const user = trx.selectFrom('users').select('id').where('id', '=', row.user_id);
      await (this.store.caps.rowLocks ? user.forUpdate() : user).executeTakeFirst();
      const held = await trx.selectFrom('access_keys').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', row.user_id).executeTakeFirstOrThrow();
      if (Number(held.n) >= limit) return false;
      await trx.insertInto('access_keys').values(row).execute();
      return true;
    });
  }

  /** Sets the status and/or description; the row after, if the key exists. */
  async update(access: string, patch: { status?: string; description?: string }): Promise<AccessKeyRow | undefined> {
    if (patch.status !== undefined || patch.description !== undefined) {
      await this.db.updateTable('access_keys').set(patch).where('access', '=', access).execute();
    }
    return this.find(access);
  }

  /** Deletes the key: whether it existed. */
  async delete(access: string): Promise<boolean> {
    const res = await this.db.deleteFrom('access_keys').where('access', '=', access).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** The user's domain, default project and roles anywhere, or undefined for an unknown user. */
  async domainCaller(userId: string): Promise<DomainCaller | undefined> {
    const user = await this.db.selectFrom('users').select(['domain_id', 'default_project_id'])
      .where('id', '=', userId).executeTakeFirst();
    if (!user) return undefined;
    const held = await this.db.selectFrom('role_assignments').select(['role', 'project_id'])
      .where('user_id', '=', userId).orderBy('project_id').execute();
    const roles = [...new Set(held.map((r) => r.role))].sort();
    return { domainId: user.domain_id, defaultProjectId: user.default_project_id ?? held[0]?.project_id ?? '', roles };
  }
}
