import type { Kysely, Selectable } from 'kysely';
import type { Store } from '../db/database.js';
import type { Database, RevocationEventTable } from '../db/schema.js';

export type RevocationEvent = Omit<Selectable<RevocationEventTable>, 'id'>;

/** Keystone's token revocation events, shared by every process on the database. */
export class RevocationRepo {
  private readonly db: Kysely<Database>;

  constructor(store: Store) {
    this.db = store.db;
  }

  /** Records the event, and lets go of the events whose tokens have all expired. */
  async insert(event: RevocationEvent, now: string): Promise<void> {
    await this.db.insertInto('revocation_events').values(event).execute();
    await this.db.deleteFrom('revocation_events').where('expires_at', '<=', now).execute();
  }

  /**
   * What changes whenever an event is added or goes: their count and highest id (an event committed late, with
   * a lower id than one already seen, still changes the count).
   */
  async version(): Promise<string> {
    const row = await this.db.selectFrom('revocation_events')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('m')]).executeTakeFirstOrThrow();
    return `${Number(row.n)}:${row.m === null ? 0 : Number(row.m)}`;
  }

  /** The events still in force. */
  current(now: string): Promise<RevocationEvent[]> {
    return this.db.selectFrom('revocation_events').select(['audit_id', 'user_id', 'project_id', 'issued_before',
      'expires_at']).where('expires_at', '>', now).execute();
  }
}
