import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { sign } from '../../../src/auth/aksk.js';
import { buildTestApp, json } from '../../helpers/app.js';
import { FakeClock } from '../../helpers/clock.js';
import { databaseKinds } from '../../helpers/databases.js';
import { stateDigest } from '../../helpers/digest.js';

const BOSS = 'b0550000000000000000000000000001';
const MEMBER = 'e3be0000000000000000000000000002';
const T = '2030-01-01T00:00:00Z';
const ROOT_KEY = { access: 'AKROOT00000000000001', secret: 'SKROOT-secret-value-000000000000000000000' };

const ACCOUNTS = {
  domains: [{ name: 'boss', id: BOSS }, { name: 'member', id: MEMBER }],
  projects: [{ name: 'app', domain: 'member' }],
  users: [{ name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] }],
  access_keys: [{ ...ROOT_KEY, user: 'root' }],
};

type Json = Record<string, any>;

async function setup(tc: Parameters<typeof buildTestApp>[0], kind: Parameters<typeof buildTestApp>[1]) {
  const clock = new FakeClock(`${T.slice(0, 19)}.000Z`);
  const t = await buildTestApp(tc, kind, {}, { clock });
  await t.container.identity.applyBootstrap(ACCOUNTS);
  /** A call of the admin API as the cloud admin (or `token`), acting for `account` (X-Domain-Id) when given. */
  const call = (method: string, path: string, options: { account?: string; body?: unknown; token?: string } = {}) =>
    t.app.inject({
      method: method as 'GET', url: `/v1/organizations${path}`,
      headers: { 'x-auth-token': options.token ?? t.tokens.admin, ...(options.account ? { 'x-domain-id': options.account } : {}) },
      ...(options.body === undefined ? {} : { payload: options.body as Json }),
    });
  return { t, clock, call };
}

/** Huawei's Organizations error body, with the request's id. */
function assertOrgError(res: LightMyRequestResponse, status: number, code: string, message: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(json(res), { error_code: code, error_msg: message, request_id: res.headers['x-request-id'] });
}

const orgBody = (id: string, account = BOSS, name = 'boss') => ({
  id, urn: `organizations::${account}:organization:${id}`, management_account_id: account,
  management_account_name: name, created_at: T,
});
const unitBody = (org: string, id: string, name: string) =>
  ({ id, urn: `organizations::${BOSS}:ou:${org}/${id}`, name, created_at: T });
const accountBody = (org: string, id: string, name: string, joinMethod: string) => ({
  id, urn: `organizations::${BOSS}:account:${org}/${id}`, join_method: joinMethod, status: 'active', joined_at: T, name,
});

/** Creates the organization of BOSS with OUs dev > team; returns their ids. */
async function tree(call: Awaited<ReturnType<typeof setup>>['call']) {
  const org = (json(await call('POST', '', { account: BOSS })) as Json).organization.id as string;
  const root = (json(await call('GET', '/roots', { account: BOSS })) as Json).roots[0].id as string;
  const unit = async (name: string, parent: string) => (json(await call('POST', '/organizational-units',
    { account: BOSS, body: { name, parent_id: parent } })) as Json).organizational_unit.id as string;
  const dev = await unit('dev', root);
  return { org, root, dev, team: await unit('team', dev) };
}

for (const kind of databaseKinds()) {
  describe(`Organizations admin API (${kind.name})`, () => {
    it('a cloud admin builds an account\'s organization: Huawei\'s paths, statuses and bodies', async (tc) => {
      const { t, call } = await setup(tc, kind);
      const created = await call('POST', '', { account: BOSS });
      assert.equal(created.statusCode, 201, created.body);
      const orgId = (json(created) as Json).organization.id as string;
      assert.match(orgId, /^o-[0-9a-z]{32}$/);
      assert.deepEqual(json(created), { organization: orgBody(orgId) });
      assert.deepEqual(json(await call('GET', '', { account: BOSS })), { organization: orgBody(orgId) });

      const roots = json(await call('GET', '/roots', { account: BOSS })) as Json;
      const rootId = roots.roots[0].id as string;
      assert.match(rootId, /^r-[0-9a-z]{32}$/);
      assert.deepEqual(roots, { roots: [{ id: rootId, urn: `organizations::${BOSS}:root:${orgId}/${rootId}`, name: 'root',
        policy_types: [], created_at: T }], page_info: { current_count: 1 } });

      const dev = await call('POST', '/organizational-units', { account: BOSS, body: { name: 'dev', parent_id: rootId } });
      assert.equal(dev.statusCode, 201, dev.body);
      const devId = (json(dev) as Json).organizational_unit.id as string;
      assert.match(devId, /^ou-[0-9a-z]{32}$/);
      assert.deepEqual(json(dev), { organizational_unit: unitBody(orgId, devId, 'dev') });
      const team = await call('POST', '/organizational-units', { account: BOSS, body: { name: 'team', parent_id: devId } });
      const teamId = (json(team) as Json).organizational_unit.id as string;
      const all = [unitBody(orgId, devId, 'dev'), unitBody(orgId, teamId, 'team')].sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(json(await call('GET', '/organizational-units', { account: BOSS })),
        { organizational_units: all, page_info: { current_count: 2 } });
      assert.deepEqual(json(await call('GET', `/organizational-units?parent_id=${devId}`, { account: BOSS })),
        { organizational_units: [unitBody(orgId, teamId, 'team')], page_info: { current_count: 1 } });
      const renamed = await call('PATCH', `/organizational-units/${teamId}`, { account: BOSS, body: { name: 'squad' } });
      assert.equal(renamed.statusCode, 200);
      assert.deepEqual(json(renamed), { organizational_unit: unitBody(orgId, teamId, 'squad') });
      assert.deepEqual(json(await call('GET', `/organizational-units/${teamId}`, { account: BOSS })),
        { organizational_unit: unitBody(orgId, teamId, 'squad') });

      const invited = await call('POST', '/accounts/invite', { account: BOSS,
        body: { target: { type: 'name', entity: 'member' }, notes: 'welcome' } });
      assert.equal(invited.statusCode, 200, invited.body);
      const handshake = (json(invited) as Json).handshake;
      assert.match(handshake.id, /^h-[0-9a-z]{32}$/);
      assert.deepEqual(handshake, { id: handshake.id, urn: `organizations::${BOSS}:handshake:${orgId}/${handshake.id}`,
        updated_at: T, created_at: T, management_account_id: BOSS, management_account_name: 'boss', organization_id: orgId,
        notes: 'welcome', target: { type: 'name', entity: 'member' }, status: 'accepted' });
      assert.deepEqual(json(await call('GET', '/accounts', { account: BOSS })), { accounts: [
        accountBody(orgId, BOSS, 'boss', 'created'), accountBody(orgId, MEMBER, 'member', 'invited')],
      page_info: { current_count: 2 } });

      const moved = await call('POST', `/accounts/${MEMBER}/move`, { account: BOSS,
        body: { source_parent_id: rootId, destination_parent_id: teamId } });
      assert.equal(moved.statusCode, 200);
      assert.equal(moved.body, '');
      assert.deepEqual(json(await call('GET', `/accounts?parent_id=${teamId}`, { account: BOSS })),
        { accounts: [accountBody(orgId, MEMBER, 'member', 'invited')], page_info: { current_count: 1 } });
      assert.deepEqual(json(await call('GET', `/accounts/${MEMBER}`, { account: BOSS })),
        { account: accountBody(orgId, MEMBER, 'member', 'invited') });
      const app = await t.container.repos.identity.projectByName(MEMBER, 'app');
      assert.deepEqual((await t.container.repos.orgs.reachOf(app!.id))!.orgNodes, [teamId, devId, rootId, orgId]);
      // Any member account sees its organization.
      assert.deepEqual(json(await call('GET', '', { account: MEMBER })), { organization: orgBody(orgId) });

      const removed = await call('POST', `/accounts/${MEMBER}/remove`, { account: BOSS });
      assert.equal(removed.statusCode, 200);
      assert.equal(removed.body, '');
      assert.deepEqual((await t.container.repos.orgs.reachOf(app!.id))!.orgNodes, []);
      for (const id of [teamId, devId]) {
        const gone = await call('DELETE', `/organizational-units/${id}`, { account: BOSS });
        assert.equal(gone.statusCode, 204);
        assert.equal(gone.body, '');
      }
      assert.equal((await call('DELETE', '', { account: BOSS })).statusCode, 204);
      assertOrgError(await call('GET', '', { account: BOSS }), 401, 'Organizations.1015', 'The organization is not found.');
    });

    it('without X-Domain-Id a call acts for the account of the caller\'s project', async (tc) => {
      const { call } = await setup(tc, kind);
      const created = await call('POST', '');
      const id = (json(created) as Json).organization.id as string;
      assert.deepEqual(json(created), { organization: orgBody(id, 'default', 'Default') });
    });

    it('an admin\'s AK/SK signs the calls, as Huawei\'s SDKs do for global services (X-Domain-Id)', async (tc) => {
      const { t, clock, call } = await setup(tc, kind);
      const signed = (method: string, path: string, body?: Json) => {
        const text = body === undefined ? undefined : JSON.stringify(body);
        const s = sign({ method, host: 'ims.test:9292', path: `/v1/organizations${path}`, body: text, ak: ROOT_KEY.access,
          sk: ROOT_KEY.secret, date: clock.now(), headers: { 'X-Domain-Id': BOSS } });
        return t.app.inject({ method: method as 'GET', url: `/v1/organizations${path}`,
          headers: { ...s.headers, host: 'ims.test:9292' }, ...(text === undefined ? {} : { payload: text }) });
      };
      const created = await signed('POST', '');
      assert.equal(created.statusCode, 201, created.body);
      const orgId = (json(created) as Json).organization.id as string;
      const root = (json(await signed('GET', '/roots')) as Json).roots[0].id as string;
      const ou = await signed('POST', '/organizational-units', { name: 'signed', parent_id: root });
      assert.equal(ou.statusCode, 201, ou.body);
      assert.deepEqual(json(await call('GET', '', { account: BOSS })), { organization: orgBody(orgId) });
      const forged = await t.app.inject({ method: 'GET', url: '/v1/organizations', headers: {
        ...sign({ method: 'GET', host: 'ims.test:9292', path: '/v1/organizations', ak: ROOT_KEY.access, sk: 'wrong',
          date: clock.now() }).headers, host: 'ims.test:9292' } });
      assert.equal(forged.statusCode, 401);
      assert.equal((json(forged) as Json).error_code, 'APIGW.0301');
    });

    it('lists a page at a time: limit, marker and page_info.next_marker', async (tc) => {
      const { call } = await setup(tc, kind);
      const { dev } = await tree(call);
      for (const name of ['a', 'b', 'c']) {
        await call('POST', '/organizational-units', { account: BOSS, body: { name, parent_id: dev } });
      }
      const all = ((json(await call('GET', '/organizational-units', { account: BOSS })) as Json).organizational_units as Json[])
        .map((u) => u.id as string);
      assert.equal(all.length, 5);
      const first = json(await call('GET', '/organizational-units?limit=2', { account: BOSS })) as Json;
      assert.deepEqual(first.organizational_units.map((u: Json) => u.id), all.slice(0, 2));
      assert.deepEqual(first.page_info, { next_marker: all[1], current_count: 2 });
      const next = json(await call('GET', `/organizational-units?limit=2&marker=${all[1]}`, { account: BOSS })) as Json;
      assert.deepEqual(next.organizational_units.map((u: Json) => u.id), all.slice(2, 4));
      const last = json(await call('GET', `/organizational-units?limit=2&marker=${all[3]}`, { account: BOSS })) as Json;
      assert.deepEqual(last.organizational_units.map((u: Json) => u.id), all.slice(4));
      assert.deepEqual(last.page_info, { current_count: 1 });
    });

    it('refuses in Huawei\'s format, and a refused call changes nothing', async (tc) => {
      const { t, call } = await setup(tc, kind);
      const { org, root, dev, team } = await tree(call);
      await call('POST', '/accounts/invite', { account: BOSS, body: { target: { type: 'account', entity: MEMBER } } });
      const refusals: [LightMyRequestResponse | Promise<LightMyRequestResponse>, number, string, string][] = [];
      const refused = (res: Promise<LightMyRequestResponse>, status: number, code: string, message: string) =>
        refusals.push([res, status, code, message]);
      const before = await stateDigest(t);
      refused(call('POST', '', { account: BOSS, token: t.tokens.demo }), 403, 'Organizations.1007',
        'Policy doesn\'t allow \'organizations:organizations:create\' to be performed.');
      refused(call('GET', '/accounts', { account: BOSS, token: t.tokens.demo }), 403, 'Organizations.1007',
        'Policy doesn\'t allow \'organizations:accounts:list\' to be performed.');
      refused(call('GET', ''), 401, 'Organizations.1015', 'The organization is not found.');
      refused(call('POST', '', { account: BOSS }), 409, 'Organizations.1101',
        `The account ${BOSS} is already a member of an organization.`);
      refused(call('POST', '/organizational-units', { account: MEMBER, body: { name: 'x', parent_id: root } }), 401,
        'Organizations.1001', 'This operation can be called only from the management account of an organization.');
      refused(call('GET', '/organizational-units', { account: MEMBER }), 401, 'Organizations.1002', 'This operation can be '
        + 'called only from the management account of an organization or by a member account that is a delegated '
        + 'administrator for a service.');
      refused(call('DELETE', `/organizational-units/${dev}`, { account: BOSS }), 400, 'Organizations.1202',
        'The organizational unit is not empty.');
      refused(call('DELETE', '', { account: BOSS }), 400, 'Organizations.1102',
        'The organization is not empty: remove its member accounts and delete its organizational units first.');
      refused(call('POST', '/organizational-units', { account: BOSS, body: { name: 'team', parent_id: dev } }), 409,
        'Organizations.1205', 'Conflict for organizational unit name: team is already used under this parent.');
      refused(call('PATCH', `/organizational-units/${dev}`, { account: BOSS, body: { name: 'dev' } }), 200, '', '');
      refused(call('POST', '/organizational-units', { account: BOSS, body: { name: 'x', parent_id: `ou-${'0'.repeat(32)}` } }),
        400, 'Organizations.1201', `The parent ou-${'0'.repeat(32)} is not found in the organization.`);
      refused(call('POST', '/organizational-units', { account: BOSS, body: { name: 'x', parent_id: org } }), 400,
        'Organizations.0400', `The parent ID is invalid: ${org}`);
      refused(call('POST', '/organizational-units', { account: BOSS, body: { name: '', parent_id: root } }), 400,
        'Organizations.0400', 'The organizational unit name must be 1 to 64 characters, not blank, without control characters.');
      refused(call('POST', '/organizational-units', { account: BOSS, body: { parent_id: root } }), 400, 'Organizations.0400',
        'name is required and must be a string.');
      refused(call('GET', `/organizational-units/${root}`, { account: BOSS }), 404, 'Organizations.1206',
        `The organizational unit ${root} is not found.`);
      refused(call('POST', `/accounts/${MEMBER}/move`, { account: BOSS,
        body: { source_parent_id: team, destination_parent_id: dev } }), 400, 'Organizations.1201',
      `The account ${MEMBER} is not under ${team}.`);
      refused(call('POST', `/accounts/${BOSS}/remove`, { account: BOSS }), 400, 'Organizations.1304',
        'The management account cannot leave the organization.');
      refused(call('GET', `/accounts/${'f'.repeat(32)}`, { account: BOSS }), 404, 'Organizations.1301',
        `The account ${'f'.repeat(32)} is not found.`);
      refused(call('POST', '/accounts/invite', { account: BOSS, body: { target: { type: 'name', entity: 'nobody' } } }), 404,
        'Organizations.1301', 'The account nobody is not found.');
      refused(call('POST', '/accounts/invite', { account: BOSS, body: { target: { type: 'email', entity: 'x' } } }), 400,
        'Organizations.0400', 'target.type must be account or name.');
      refused(call('GET', '', { account: 'nope' }), 400, 'Organizations.0400', 'The account ID is invalid: nope');
      refused(call('GET', '/accounts?limit=0', { account: BOSS }), 400, 'Organizations.0400',
        'The limit must be an integer from 1 to 2000.');
      refused(t.app.inject({ method: 'POST', url: '/v1/organizations/organizational-units', payload: '{"name":',
        headers: { 'x-auth-token': t.tokens.admin, 'x-domain-id': BOSS, 'content-type': 'application/json' } }), 400,
      'Organizations.0400', 'Malformed JSON in request body.');
      for (const [res, status, code, message] of refusals) {
        if (status === 200) assert.equal((await res).statusCode, 200);
        else assertOrgError(await res, status, code, message);
      }
      assert.equal(await stateDigest(t), before);

      const anonymous = await t.app.inject({ url: '/v1/organizations' });
      assert.equal(anonymous.statusCode, 401);
      assert.deepEqual(json(anonymous), { error_msg: 'Incorrect IAM authentication information: x-auth-token not found',
        error_code: 'APIGW.0301', request_id: anonymous.headers['x-request-id'] });
      const wrongMethod = await call('PUT', '/roots', { account: BOSS });
      assert.equal(wrongMethod.headers.allow, 'GET');
      assertOrgError(wrongMethod, 405, 'Organizations.0400', 'The method is not allowed for the requested URL.');
      const unknown = await call('GET', '/nothing', { account: BOSS });
      assert.equal(unknown.statusCode, 404);
      assert.equal((json(unknown) as Json).error_code, 'APIGW.0101');
    });
  });
}
