import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GlobalCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { ServiceResponseException } from '@huaweicloud/huaweicloud-sdk-core/exception/ServiceResponseException.js';
import { DefaultHttpClient } from '@huaweicloud/huaweicloud-sdk-core/http/DefaultHttpClient.js';
// The v3 API itself: the package's main also loads its v5 API, whose public-api.js requires a module that is not
// there (`./GlobalCredentials,BasicCredentials`) in 3.1.172.
import {
  CreateCredentialOption, CreatePermanentAccessKeyRequest, CreatePermanentAccessKeyRequestBody,
  DeletePermanentAccessKeyRequest, IamClient, ListPermanentAccessKeysRequest, ShowPermanentAccessKeyRequest,
  UpdateCredentialOption, UpdateCredentialOptionStatusEnum, UpdatePermanentAccessKeyRequest,
  UpdatePermanentAccessKeyRequestBody,
} from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { quiet } from '../helpers/huawei-sdk.js';
import { type RunningServer, startServer } from '../helpers/server.js';

type Key = { access: string; secret: string };
const KEYS = {
  alice: { access: 'HPUAALICE00000000001', secret: 'AliceSecretKey0000000000000000000000000a' },
  bob: { access: 'HPUABOB0000000000001', secret: 'BobSecretKey000000000000000000000000000b' },
  root: { access: 'HPUAROOT000000000001', secret: 'RootSecretKey00000000000000000000000000c' },
};
const BOOTSTRAP = {
  projects: [{ name: 'alice' }, { name: 'bob' }],
  users: [
    { name: 'alice', password: 'secret', project: 'alice' },
    { name: 'bob', password: 'secret', project: 'bob' },
    { name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] },
  ],
  access_keys: Object.entries(KEYS).map(([user, key]) => ({ ...key, user })),
};
const IAM_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** What the SDK parsed of a refusal. */
interface Refusal {
  status: unknown;
  code: unknown;
  message: unknown;
}

async function refused(call: Promise<unknown>): Promise<Refusal> {
  const err = await call.then((body) => assert.fail(`should have been refused, got ${JSON.stringify(body)}`), (e) => e);
  assert.ok(err instanceof ServiceResponseException, String(err));
  assert.match(String(err.requestId ?? 'req-'), /^req-/);
  return { status: err.httpStatusCode, code: err.errorCode, message: err.errorMsg };
}

/**
 * Huawei's IAM SDK (`@huaweicloud/huaweicloud-sdk-iam`: IamClient, its request models, GlobalCredentials signing
 * with X-Domain-Id) against `ims serve`: the permanent access key operations and their refusals.
 */
describe('Huawei IAM SDK: permanent access keys with AK/SK', () => {
  let srv: RunningServer;
  /** An IamClient as IamClient.newBuilder() builds one, less ClientBuilder's side effects (test/helpers/huawei-sdk.ts). */
  const iam = (key: Key, domainId = 'default') => {
    const credentials = new GlobalCredentials().withAk(key.access).withSk(key.secret).withDomainId(domainId);
    const http = new DefaultHttpClient({ logger: quiet, headers: { 'User-Agent': 'huaweicloud-usdk-nodejs/3.0; ims-tests' } },
      [srv.url]);
    return new IamClient(new HcClient(http).withCredential(credentials).withEndpoints([srv.url]));
  };
  const mine = async (client: IamClient) =>
    (await client.listPermanentAccessKeys(new ListPermanentAccessKeysRequest())) as unknown as Record<string, any>;

  before(async () => {
    const boot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-huawei-iam-')), 'bootstrap.json');
    fs.writeFileSync(boot, JSON.stringify(BOOTSTRAP));
    srv = await startServer(['--bootstrap', boot, '--log-level', 'warn']);
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  it('Create, List, Show, Update (inactive: refused at once; active again), Delete', async () => {
    const alice = iam(KEYS.alice);
    const listed = await mine(alice);
    assert.equal(listed.httpStatusCode, 200);
    const userId = listed.credentials[0].user_id as string;
    assert.deepEqual(listed.credentials, [{ user_id: userId, access: KEYS.alice.access, status: 'active',
      create_time: listed.credentials[0].create_time, description: '' }]);
    assert.match(listed.credentials[0].create_time, IAM_TIME);

    const created = await alice.createPermanentAccessKey(new CreatePermanentAccessKeyRequest().withBody(
      new CreatePermanentAccessKeyRequestBody().withCredential(new CreateCredentialOption().withUserId(userId)
        .withDescription('deploy')))) as unknown as Record<string, any>;
    assert.equal(created.httpStatusCode, 201);
    const { credential } = created;
    assert.deepEqual(Object.keys(credential).sort(),
      ['access', 'create_time', 'description', 'secret', 'status', 'user_id']);
    assert.deepEqual([credential.user_id, credential.status, credential.description], [userId, 'active', 'deploy']);
    assert.match(credential.create_time, IAM_TIME);
    const key = { access: credential.access as string, secret: credential.secret as string };

    // The new key signs at once; its owner's list holds both, without secrets.
    const withNew = iam(key);
    assert.deepEqual((await mine(withNew)).credentials.map((c: Record<string, unknown>) => c.access).sort(),
      [KEYS.alice.access, key.access].sort());
    const shown = await alice.showPermanentAccessKey(new ShowPermanentAccessKeyRequest().withAccessKey(key.access)) as
      unknown as Record<string, any>;
    assert.equal(shown.httpStatusCode, 200);
    assert.deepEqual(Object.keys(shown.credential).sort(),
      ['access', 'create_time', 'description', 'last_use_time', 'status', 'user_id']);
    assert.match(shown.credential.last_use_time, IAM_TIME);

    const setStatus = (status: UpdateCredentialOptionStatusEnum) => alice.updatePermanentAccessKey(
      new UpdatePermanentAccessKeyRequest().withAccessKey(key.access).withBody(new UpdatePermanentAccessKeyRequestBody()
        .withCredential(new UpdateCredentialOption().withStatus(status)))) as unknown as Promise<Record<string, any>>;
    const disabled = await setStatus(UpdateCredentialOptionStatusEnum.INACTIVE);
    assert.equal(disabled.httpStatusCode, 200);
    assert.equal(disabled.credential.status, 'inactive');
    assert.deepEqual(await refused(mine(withNew)), { status: 401, code: 'APIGW.0301',
      message: `Incorrect IAM authentication information: ak ${key.access} not exist` });
    assert.equal((await setStatus(UpdateCredentialOptionStatusEnum.ACTIVE)).credential.status, 'active');
    assert.equal((await mine(withNew)).httpStatusCode, 200);

    const deleted = await alice.deletePermanentAccessKey(
      new DeletePermanentAccessKeyRequest().withAccessKey(key.access)) as unknown as Record<string, any>;
    assert.equal(deleted.httpStatusCode, 204);
    assert.deepEqual(await refused(mine(withNew)), { status: 401, code: 'APIGW.0301',
      message: `Incorrect IAM authentication information: ak ${key.access} not exist` });
    assert.deepEqual(await refused(alice.showPermanentAccessKey(new ShowPermanentAccessKeyRequest()
      .withAccessKey(key.access))), { status: 404, code: 'IAM.0004', message: `Could not find credential: ${key.access}.` });
  });

  it("refusals as the SDK parses them: another's key, the key limit, a bad status, another domain", async () => {
    const alice = iam(KEYS.alice);
    const bob = iam(KEYS.bob);
    const aliceId = (await mine(alice)).credentials[0].user_id as string;
    const create = (client: IamClient, userId: string) => client.createPermanentAccessKey(
      new CreatePermanentAccessKeyRequest().withBody(new CreatePermanentAccessKeyRequestBody()
        .withCredential(new CreateCredentialOption().withUserId(userId))));

    const forbidden = { status: 403, code: 'IAM.0002', message: 'You are not authorized to perform the requested action.' };
    assert.deepEqual(await refused(bob.showPermanentAccessKey(new ShowPermanentAccessKeyRequest()
      .withAccessKey(KEYS.alice.access))), forbidden);
    assert.deepEqual(await refused(create(bob, aliceId)), forbidden);
    assert.deepEqual(await refused(bob.listPermanentAccessKeys(new ListPermanentAccessKeysRequest().withUserId(aliceId))),
      forbidden);

    // An admin manages anyone's: the second key of alice's, then IAM's limit of two.
    const root = iam(KEYS.root);
    const second = await create(root, aliceId) as unknown as Record<string, any>;
    assert.equal(second.httpStatusCode, 201);
    assert.deepEqual(await refused(create(alice, aliceId)), { status: 400, code: 400, message: 'akSkNumExceed' });
    const listed = await root.listPermanentAccessKeys(new ListPermanentAccessKeysRequest().withUserId(aliceId)) as
      unknown as Record<string, any>;
    assert.equal(listed.credentials.length, 2);

    assert.deepEqual(await refused(alice.updatePermanentAccessKey(new UpdatePermanentAccessKeyRequest()
      .withAccessKey(KEYS.alice.access).withBody(new UpdatePermanentAccessKeyRequestBody()
        .withCredential(new UpdateCredentialOption().withStatus('disabled'))))),
    { status: 400, code: 'IAM.0007', message: 'Request parameter credential.status is invalid.' });
    assert.deepEqual(await refused(mine(iam(KEYS.alice, 'another-domain'))), { status: 401, code: 'APIGW.0301',
      message: `Incorrect IAM authentication information: domain another-domain is not authorized for ak ${KEYS.alice.access}` });
    assert.deepEqual(await refused(mine(iam({ ...KEYS.alice, secret: 'wrong' }))), { status: 401, code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: verify aksk signature fail' });
  });
});
