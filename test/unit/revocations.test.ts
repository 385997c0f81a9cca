import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RevocationEvent, RevocationRepo } from '../../src/repos/revocation-repo.js';
import { Revocations } from '../../src/services/revocation-service.js';
import { FakeClock } from '../helpers/clock.js';

/** The events table of a database, with a read that waits for `gate` when one is set. */
class Events {
  rows: RevocationEvent[] = [];
  gate: Promise<void> | undefined;
  readonly repo = {
    insert: async (e: RevocationEvent) => { this.rows.push(e); },
    version: async () => `${this.rows.length}`,
    current: async () => {
      const rows = [...this.rows];
      await this.gate;
      return rows;
    },
  } as unknown as RevocationRepo;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z') / 1000;
const token = (over: Partial<{ auditId: string; userId: string; projectId: string; issuedAt: number }> = {}) =>
  ({ auditId: 'a1', userId: 'u1', projectId: 'p1', issuedAt: T0, ...over });

describe('Revocations', () => {
  it('an event names one token, a user\'s, a project\'s or a user\'s on a project, issued at or before it', async () => {
    const clock = new FakeClock('2030-01-01T00:00:01.000Z');
    const r = new Revocations(new Events().repo, clock);
    assert.equal(r.revokes(token()), false);
    await r.revoke({ auditId: 'a1', expiresAt: T0 + 60 }, 3600);
    assert.equal(r.revokes(token()), true);
    assert.equal(r.revokes(token({ auditId: 'a2' })), false);
    await r.revoke({ userId: 'u2' }, 3600);
    assert.equal(r.revokes(token({ auditId: 'x', userId: 'u2' })), true);
    assert.equal(r.revokes(token({ auditId: 'x', userId: 'u2', issuedAt: T0 + 1.001 })), false, 'issued after: kept');
    assert.equal(r.revokes(token({ auditId: 'x', userId: 'u2', issuedAt: T0 + 1 })), true, 'the same millisecond: revoked');
    await r.revoke({ projectId: 'p3' }, 3600);
    assert.equal(r.revokes(token({ auditId: 'x', projectId: 'p3' })), true);
    await r.revoke({ userId: 'u4', projectId: 'p4' }, 3600);
    assert.equal(r.revokes(token({ auditId: 'x', userId: 'u4', projectId: 'p4' })), true);
    assert.equal(r.revokes(token({ auditId: 'x', userId: 'u4', projectId: 'p1' })), false, 'only on that project');
    assert.equal(r.revokes(token({ auditId: 'x', userId: 'u1', projectId: 'p4' })), false);
  });

  it('reads another process\'s events on refresh; one it revoked during a read is kept', async () => {
    const clock = new FakeClock('2030-01-01T00:00:01.000Z');
    const events = new Events();
    const mine = new Revocations(events.repo, clock);
    const other = new Revocations(events.repo, clock);
    assert.equal(mine.stale(), true, 'never read');
    await mine.refresh();
    assert.equal(mine.stale(), false, 'read just now');
    await other.revoke({ userId: 'u1' }, 3600);
    assert.equal(mine.revokes(token()), false, 'not seen before the next read');
    let open!: () => void;
    events.gate = new Promise((resolve) => { open = resolve; });
    const reading = mine.refresh();
    assert.equal(mine.refresh(), reading, 'one read at a time');
    await mine.revoke({ userId: 'u9' }, 3600);
    open();
    await reading;
    assert.equal(mine.revokes(token()), true, 'the other process\'s event');
    assert.equal(mine.revokes(token({ userId: 'u9' })), true, 'its own, revoked while the read ran');
  });
});
