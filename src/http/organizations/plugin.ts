import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { orgInvalid } from '../../errors/organizations.js';
import type { PageRequest } from '../../repos/org-repo.js';
import type { Handshake, OrgCaller } from '../../services/organization-service.js';
import { appErrorOf } from '../errors.js';
import { AKSK_REASONS } from '../../auth/aksk.js';
import { ApigwError } from '../aksk-auth.js';
import { renderError } from '../dialect.js';
import { renderUnknownApi } from '../ims/errors.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type ScopeRoutes, unparsed } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import { accountBody, handshakeBody, organizationBody, pageInfo, rootBody, unitBody } from './bodies.js';
import {
  ACCOUNT_RESPONSE, ACCOUNTS_RESPONSE, EMPTY, HANDSHAKE_RESPONSE, ORGANIZATION_RESPONSE, ROOTS_RESPONSE, UNIT_RESPONSE,
  UNITS_RESPONSE,
} from './schemas.js';

const doc = <T extends object>(summary: string, extra: T = {} as T) => ({ tags: ['organizations'], summary, ...extra });

const LIST_QUERY = unparsed(Type.Object({
  parent_id: Type.Optional(Type.String({ description: 'Only what is right under this root or OU' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 200 })),
  marker: Type.Optional(Type.String({ description: 'The next_marker of the previous page' })),
}));
const UNIT_PARAMS = Type.Object({ organizational_unit_id: Type.String({ description: 'OU id (ou-...)' }) });
const ACCOUNT_PARAMS = Type.Object({ account_id: Type.String({ description: 'Account (domain) id' }) });
const UNIT_BODY = unparsed(Type.Object({ name: Type.String({ maxLength: 64 }), parent_id: Type.String() }));
const RENAME_BODY = unparsed(Type.Object({ name: Type.String({ maxLength: 64 }) }));
const INVITE_BODY = unparsed(Type.Object({
  target: Type.Object({ type: Type.Union([Type.Literal('account'), Type.Literal('name')]), entity: Type.String() }),
  notes: Type.Optional(Type.String({ maxLength: 1024 })),
}));
const MOVE_BODY = unparsed(Type.Object({ source_parent_id: Type.String(), destination_parent_id: Type.String() }));

const MARKER_RE = /^[A-Za-z0-9+/=_.-]{4,400}$/;

function page(request: FastifyRequest): PageRequest {
  const rawLimit = singleQuery(request, 'limit');
  const limit = rawLimit === undefined ? 200 : /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= 2000)) throw orgInvalid('The limit must be an integer from 1 to 2000.');
  const marker = singleQuery(request, 'marker');
  if (marker !== undefined && !MARKER_RE.test(marker)) throw orgInvalid('The marker is invalid.');
  return { limit, after: marker };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The named string fields of a JSON object body (each required unless listed in `optional`). */
function fields<K extends string>(body: unknown, required: readonly K[], optional: readonly string[] = [])
  : Record<K, string> & Record<string, string | undefined> {
  if (!isObject(body)) throw orgInvalid('The request body must be a JSON object.');
  for (const key of [...required, ...optional]) {
    const v = body[key];
    if (v === undefined && optional.includes(key)) continue;
    if (typeof v !== 'string') throw orgInvalid(`${key} is required and must be a string.`);
  }
  return body as Record<K, string>;
}

function inviteTarget(body: unknown): { target: Handshake['target']; notes: string } {
  const { notes } = fields(body, [], ['notes']);
  if (notes !== undefined && notes.length > 1024) throw orgInvalid('notes must be at most 1024 characters.');
  const target = (body as Record<string, unknown>).target;
  const { type, entity } = fields(target, ['type', 'entity']);
  if (type !== 'account' && type !== 'name') throw orgInvalid('target.type must be account or name.');
  if (entity.length < 1 || entity.length > 100) throw orgInvalid('target.entity must be 1 to 100 characters.');
  return { target: { type, entity }, notes: notes ?? '' };
}

/**
 * Huawei Organizations' API (a subset, `/v1/organizations`), for cloud admins with a token or AK/SK. A call acts
 * for an account: the one `X-Domain-Id` names (as Huawei's SDKs send for global services), else the account of
 * the caller's project.
 */
export const organizationsPlugin: ScopeRoutes = async (app, { container, authenticator }) => {
  const { organizations: orgs } = container;
  app.setErrorHandler((error, request, reply) =>
    renderError(appErrorOf(error, request), request, reply, 'organizations'));
  app.setNotFoundHandler((request, reply) => renderUnknownApi(request, reply));
  authenticator.register(app, {
    refuse: (why) => (why === 'missing' ? new ApigwError(AKSK_REASONS.missing)
      : new ApigwError('token expires or is invalid', 'token verification failed')),
  });
  const caller = (request: FastifyRequest): Promise<OrgCaller> => {
    const header = request.headers['x-domain-id'];
    return orgs.caller(request.ctx, typeof header === 'string' ? header : undefined);
  };

  app.post('', { schema: doc('CreateOrganization: the account becomes the management account', { response: { 201: ORGANIZATION_RESPONSE, ...failures(403, 409) } }) }, async (request, reply) =>
    reply.status(201).send({ organization: organizationBody(await orgs.create(await caller(request))) }));
  app.get('', { schema: doc('ShowOrganization', { response: { 200: ORGANIZATION_RESPONSE, ...failures(400) } }) }, async (request) =>
    ({ organization: organizationBody(await orgs.show(await caller(request))) }));
  app.delete('', { schema: doc('DeleteOrganization (no member account and no OU left)', { response: { 204: EMPTY, ...failures(400) } }) }, async (request, reply) => {
    await orgs.remove(await caller(request));
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '', ['GET', 'POST', 'DELETE']);

  app.get('/roots', { schema: doc('ListRoots', { querystring: LIST_QUERY, response: { 200: ROOTS_RESPONSE } }) }, async (request) => {
    const roots = await orgs.roots(await caller(request), page(request));
    return { roots: roots.rows.map((r) => rootBody(roots.org, r)), page_info: pageInfo(roots, (r) => r.id) };
  });
  rejectOtherMethods(app, '/roots', ['GET']);

  const unitsPath = '/organizational-units';
  app.post(unitsPath, { schema: doc('CreateOrganizationalUnit', {
    body: UNIT_BODY, response: { 201: UNIT_RESPONSE, ...failures(400, 409) },
  }) }, async (request, reply) => {
    const { name, parent_id: parentId } = fields(request.body, ['name', 'parent_id']);
    const { org, unit } = await orgs.createUnit(await caller(request), name, parentId);
    return reply.status(201).send({ organizational_unit: unitBody(org, unit) });
  });
  app.get(unitsPath, { schema: doc('ListOrganizationalUnits', { querystring: LIST_QUERY, response: { 200: UNITS_RESPONSE } }) }, async (request) => {
    const listed = await orgs.units(await caller(request), singleQuery(request, 'parent_id'), page(request));
    return { organizational_units: listed.rows.map((u) => unitBody(listed.org, u)), page_info: pageInfo(listed, (u) => u.id) };
  });
  rejectOtherMethods(app, unitsPath, ['GET', 'POST']);
  const unitPath = `${unitsPath}/:organizational_unit_id`;
  app.get(unitPath, { schema: doc('ShowOrganizationalUnit', {
    params: UNIT_PARAMS, response: { 200: UNIT_RESPONSE, ...failures(404) },
  }) }, async (request) => {
    const shown = await orgs.unit(await caller(request), request.params.organizational_unit_id);
    return { organizational_unit: unitBody(shown.org, shown.unit) };
  });
  app.patch(unitPath, {
    schema: doc('UpdateOrganizationalUnit: its name', {
      params: UNIT_PARAMS, body: RENAME_BODY, response: { 200: UNIT_RESPONSE },
    }),
  }, async (request) => {
    const { name } = fields(request.body, ['name']);
    const { org, unit } = await orgs.renameUnit(await caller(request), request.params.organizational_unit_id, name);
    return { organizational_unit: unitBody(org, unit) };
  });
  app.delete(unitPath, {
    schema: doc('DeleteOrganizationalUnit (nothing under it)', {
      params: UNIT_PARAMS, response: { 204: EMPTY, ...failures(400) },
    }),
  }, async (request, reply) => {
    await orgs.deleteUnit(await caller(request), request.params.organizational_unit_id);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, unitPath, ['GET', 'PATCH', 'DELETE']);

  app.get('/accounts', { schema: doc('ListAccounts', {
    querystring: LIST_QUERY, response: { 200: ACCOUNTS_RESPONSE, ...failures(400, 403) },
  }) }, async (request) => {
    const accounts = await orgs.accounts(await caller(request), singleQuery(request, 'parent_id'), page(request));
    return { accounts: accounts.rows.map((a) => accountBody(accounts.org, a)),
      page_info: pageInfo(accounts, (a) => a.domain_id) };
  });
  rejectOtherMethods(app, '/accounts', ['GET']);
  app.post('/accounts/invite', {
    schema: doc('InviteAccount, accepted at once (an existing account joins under the root)', {
      body: INVITE_BODY, response: { 200: HANDSHAKE_RESPONSE, ...failures(400, 404) },
    }),
  }, async (request) => {
    const { target, notes } = inviteTarget(request.body);
    return { handshake: handshakeBody(await orgs.invite(await caller(request), target, notes)) };
  });
  rejectOtherMethods(app, '/accounts/invite', ['POST']);
  app.get('/accounts/:account_id', { schema: doc('ShowAccount', {
    params: ACCOUNT_PARAMS, response: { 200: ACCOUNT_RESPONSE, ...failures(404) },
  }) }, async (request) => {
    const { org, account } = await orgs.account(await caller(request), request.params.account_id);
    return { account: accountBody(org, account) };
  });
  rejectOtherMethods(app, '/accounts/:account_id', ['GET']);
  app.post('/accounts/:account_id/move', {
    schema: doc('MoveAccount between the root and OUs', {
      params: ACCOUNT_PARAMS, body: MOVE_BODY, response: { 200: EMPTY, ...failures(400) },
    }),
  }, async (request, reply) => {
    const body = fields(request.body, ['source_parent_id', 'destination_parent_id']);
    await orgs.moveAccount(await caller(request), request.params.account_id, body.source_parent_id,
      body.destination_parent_id);
    return reply.status(200).send();
  });
  rejectOtherMethods(app, '/accounts/:account_id/move', ['POST']);
  app.post('/accounts/:account_id/remove', {
    schema: doc('RemoveAccount from the organization', {
      params: ACCOUNT_PARAMS, response: { 200: EMPTY, ...failures(400) },
    }),
  }, async (request, reply) => {
    await orgs.removeAccount(await caller(request), request.params.account_id);
    return reply.status(200).send();
  });
  rejectOtherMethods(app, '/accounts/:account_id/remove', ['POST']);
};
