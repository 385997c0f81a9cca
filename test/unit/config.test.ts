import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, publicUrlFor } from '../../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 9292);
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.databaseUrl, `sqlite:${path.resolve('./data/ims.db')}`);
    assert.equal(c.region, 'RegionOne');
    assert.equal(c.memberQuota, 256);
    assert.equal(c.wholeImageMemberQuota, 10);
    assert.equal(c.tokenTtl, 86400);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.publicUrl, undefined);
    assert.equal(c.bootstrapFile, undefined);
    assert.equal(c.jobs, true);
    assert.equal(c.logFormat, 'json');
    assert.deepEqual([c.dbStatementTimeoutMs, c.dbConnectTimeoutMs, c.requestTimeoutMs], [10_000, 5_000, 30_000]);
    assert.ok(Object.isFrozen(c));
  });

  it('reads IMS_* variables and lets flags win', () => {
    const env = { IMS_PORT: '8080', IMS_REGION: 'eu-de', IMS_MEMBER_QUOTA: '-1', IMS_DATABASE_URL: 'sqlite::memory:' };
    const c = loadConfig(env, { port: '0', publicUrl: 'http://ims.example:9/' });
    assert.equal(c.port, 0);
    assert.equal(c.region, 'eu-de');
    assert.equal(c.memberQuota, -1);
    assert.equal(c.databaseUrl, 'sqlite::memory:');
    assert.equal(c.publicUrl, 'http://ims.example:9');
  });

  it('reads the timeouts in seconds, fractions allowed', () => {
    const c = loadConfig({ IMS_DB_STATEMENT_TIMEOUT: '2.5', IMS_REQUEST_TIMEOUT: '60' }, { dbConnectTimeout: '0.25' });
    assert.deepEqual([c.dbStatementTimeoutMs, c.dbConnectTimeoutMs, c.requestTimeoutMs], [2500, 250, 60_000]);
  });

  it('reads --log-format, and IMS_NO_JOBS set to anything as --no-jobs', () => {
    assert.equal(loadConfig({ IMS_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.equal(loadConfig({}, { logFormat: 'pretty' }).logFormat, 'pretty');
    assert.equal(loadConfig({ IMS_NO_JOBS: '' }).jobs, false);
    assert.equal(loadConfig({}, { jobs: false }).jobs, false);
  });

  it('places the default SQLite file in the data dir', () => {
    assert.equal(loadConfig({ IMS_DATA_DIR: '/tmp/x' }).databaseUrl, 'sqlite:/tmp/x/ims.db');
  });

  for (const [flags, pattern] of [
    [{ port: 'abc' }, /--port must be an integer/],
    [{ port: '70000' }, /--port must be between 0 and 65535/],
    [{ tokenTtl: '0' }, /--token-ttl must be between 1/],
    [{ databaseUrl: 'mysql://x' }, /--database-url must start with/],
    [{ logLevel: 'loud' }, /--log-level must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ logFormat: 'xml' }, /--log-format must be one of json, pretty/],
    [{ publicUrl: 'ftp://x' }, /--public-url must be an http/],
    [{ dbStatementTimeout: '0' }, /--db-statement-timeout must be between 0.01 and 3600 seconds/],
    [{ dbConnectTimeout: '5s' }, /--db-connect-timeout must be a number of seconds/],
    [{ requestTimeout: '-1' }, /--request-timeout must be a number of seconds/],
  ] as const) {
    it(`refuses ${JSON.stringify(flags)}`, () => {
      assert.throws(() => loadConfig({}, flags), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
    });
  }

  it('derives the public URL from the bound port', () => {
    assert.equal(publicUrlFor(loadConfig({}), 1234), 'http://127.0.0.1:1234');
    assert.equal(publicUrlFor(loadConfig({}, { host: '0.0.0.0' }), 5), 'http://127.0.0.1:5');
    assert.equal(publicUrlFor(loadConfig({}, { publicUrl: 'https://ims.example' }), 5), 'https://ims.example');
  });
});
