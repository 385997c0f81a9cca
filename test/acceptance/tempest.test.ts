import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningServer, startServer } from '../helpers/server.js';
import { runTempest, TEMPEST_BOOTSTRAP, tempestWorkspace } from '../helpers/tempest.js';

const SHARING_TESTS =
  '^tempest\\.api\\.image\\.v2\\.(test_images_member|test_images_member_negative|test_images\\.ListSharedImagesTest)';

/** Debian's tempest 33.0.0 against a started `ims serve` with pre-provisioned accounts. */
describe('tempest: image sharing', () => {
  let srv: RunningServer;
  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-tempest-srv-'));
    const boot = path.join(dir, 'bootstrap.json');
    fs.writeFileSync(boot, JSON.stringify(TEMPEST_BOOTSTRAP));
    srv = await startServer(['--bootstrap', boot, '--log-level', 'warn'], { dataDir: dir });
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  it('passes the nine member and shared-image tests', async () => {
    const result = await runTempest(tempestWorkspace(srv.url), SHARING_TESTS);
    assert.equal(result.failed, 0, result.output.slice(-6000));
    assert.equal(result.passed, 9, result.output.slice(-6000));
  });
});
