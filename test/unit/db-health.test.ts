import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseBusyError, isUniqueViolation, transientReason } from '../../src/db/errors.js';
import { DbHealth, type HealthEvent } from '../../src/db/health.js';
import { errorHeaders, toAppError } from '../../src/http/errors.js';

const err = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('transient database faults', () => {
  const cases: [Error, string | undefined][] = [
    [err('terminating connection due to administrator command', '57P01'), 'server shutting down'],
    [err('the database system is starting up', '57P03'), 'server starting up'],
    [err('canceling statement due to statement timeout', '57014'), 'statement timeout'],
    [err('could not serialize access', '40001'), 'serialization failure'],
    [err('deadlock detected', '40P01'), 'deadlock'],
    [err('sorry, too many clients already', '53300'), 'too many connections'],
    [err('connection does not exist', '08003'), 'connection failure'],
    [err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'connection refused'],
    [err('read ECONNRESET', 'ECONNRESET'), 'connection reset'],
    [err('Connection terminated unexpectedly'), 'connection lost'],
    [err('Connection terminated due to connection timeout'), 'connection timed out'],
    [err('timeout exceeded when trying to connect'), 'connection timed out'],
    [err('Query read timeout'), 'no answer (statement timed out on the client)'],
    [err('database is locked', 'SQLITE_BUSY'), 'database locked by another process'],
    [new DatabaseBusyError(10), 'database locked by another process'],
    [err('duplicate key value violates unique constraint', '23505'), undefined],
    [err('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE'), undefined],
    [err('invalid byte sequence for encoding "UTF8": 0x00', '22021'), undefined],
    [err('syntax error', '42601'), undefined],
    [new TypeError('x is undefined'), undefined],
  ];
  for (const [error, reason] of cases) {
    it(`${(error as { code?: string }).code ?? error.message}: ${reason ?? 'not transient'}`, () => {
      assert.equal(transientReason(error), reason);
      const appError = toAppError(error);
      assert.equal(appError.status, reason === undefined ? 500 : 503);
      if (reason !== undefined) assert.deepEqual(errorHeaders(appError), { 'Retry-After': '2' });
    });
  }

  it('unique violations stay conflicts, not faults', () => {
    assert.equal(isUniqueViolation(cases[15]![0]), true);
    assert.equal(isUniqueViolation(cases[0]![0]), false);
  });
});

describe('DbHealth', () => {
  it('reports each episode once: its start on the first transient fault, its end on the next success', () => {
    const health = new DbHealth();
    const events: HealthEvent[] = [];
    health.watch((e) => events.push(e));
    health.succeeded();
    health.failed(err('duplicate', '23505'));
    assert.deepEqual(events, [], 'a refused statement is not a fault of the database');
    health.failed(err('read ECONNRESET', 'ECONNRESET'));
    health.failed(err('connect ECONNREFUSED', 'ECONNREFUSED'));
    health.failed(err('connect ECONNREFUSED', 'ECONNREFUSED'));
    assert.equal(health.unavailable, 'connection reset');
    health.succeeded();
    health.succeeded();
    assert.equal(health.unavailable, undefined);
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], { available: false, reason: 'connection reset' });
    const end = events[1] as Extract<HealthEvent, { available: true }>;
    assert.deepEqual([end.available, end.failures, typeof end.downMs], [true, 3, 'number']);
  });
});
