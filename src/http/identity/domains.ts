import { Type } from '@sinclair/typebox';
import type { DomainRow } from '../../repos/identity-repo.js';
import type { DomainInput } from '../../services/domain-service.js';
import { quoteRepr } from '../../domain/py-repr.js';
import { badRequest } from '../../errors/app-error.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import { DOMAIN_RESPONSE, DOMAINS_RESPONSE } from './schemas.js';

const DOMAIN_PARAMS = Type.Object({ id: Type.String({ description: 'Domain id' }) });
const DOMAINS_QUERY = unparsed(Type.Object({
  name: Type.Optional(Type.String({ description: 'Only the domain of this name' })),
}));
const DOMAIN_BODY = unparsed(Type.Object({
  domain: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
    explicit_domain_id: Type.Optional(Type.String({ description: 'The id to give it (32 lowercase hex digits)' })),
  }),
}));

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['keystone'], summary, ...extra });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body of `POST /v3/domains`, refused as Keystone's JSON schema refuses it. */
function parseDomainBody(body: unknown): DomainInput {
  if (!isObject(body) || body.domain === undefined) throw badRequest("'domain' is a required property");
  const extra = Object.keys(body).find((k) => k !== 'domain');
  if (extra !== undefined) throw badRequest(`Additional properties are not allowed (${quoteRepr(extra)} was unexpected)`);
  const domain = body.domain;
  const field = (name: string) => `Invalid input for field 'domain${name ? `/${name}` : ''}'`;
  if (!isObject(domain)) throw badRequest(`${field('')}: ${quoteRepr(domain)} is not of type 'object'`);
  const { name, description = null, enabled = true, explicit_domain_id: id } = domain;
  if (name === undefined) throw badRequest(`${field('')}: 'name' is a required property`);
  if (typeof name !== 'string') throw badRequest(`${field('name')}: ${quoteRepr(name)} is not of type 'string'`);
  if (description !== null && typeof description !== 'string') {
    throw badRequest(`${field('description')}: ${quoteRepr(description)} is not of type 'string', 'null'`);
  }
  if (typeof enabled !== 'boolean') throw badRequest(`${field('enabled')}: ${quoteRepr(enabled)} is not of type 'boolean'`);
  if (id !== undefined && typeof id !== 'string') {
    throw badRequest(`${field('explicit_domain_id')}: ${quoteRepr(id)} is not of type 'string'`);
  }
  return { ...(id === undefined ? {} : { id }), name, description: description ?? '', enabled };
}

/** Keystone's domain body. */
export function domainBody(d: DomainRow, base: string) {
  return {
    id: d.id, name: d.name, description: d.description, enabled: d.enabled === 1, tags: [], options: {},
    links: { self: `${base}/v3/domains/${d.id}` },
  };
}

/** `/v3/domains`: accounts as Keystone domains (list, show, create). Registered in the Keystone scope that authenticates. */
export const domainRoutes: Routes = async (app, { container }) => {
  const { domains } = container;
  const base = () => container.urls.publicUrl;

  app.get('/domains', {
    schema: doc('List domains (accounts)', { querystring: DOMAINS_QUERY, response: { 200: DOMAINS_RESPONSE, ...failures(403) } }),
  }, async (request) => ({
    domains: (await domains.list(request.ctx, singleQuery(request, 'name'))).map((d) => domainBody(d, base())),
    links: { self: `${base()}/v3/domains`, previous: null, next: null },
  }));
  app.post('/domains', {
    schema: doc('Create a domain (admins)', {
      body: DOMAIN_BODY, response: { 201: DOMAIN_RESPONSE, ...failures(400, 403, 409) },
    }),
  }, async (request, reply) => {
    const domain = await domains.create(request.ctx, parseDomainBody(request.body));
    return reply.status(201).send({ domain: domainBody(domain, base()) });
  });
  rejectOtherMethods(app, '/domains', ['GET', 'POST']);
  app.get('/domains/:id', {
    schema: doc('Show a domain', { params: DOMAIN_PARAMS, response: { 200: DOMAIN_RESPONSE, ...failures(403, 404) } }),
  }, async (request) =>
    ({ domain: domainBody(await domains.get(request.ctx, request.params.id), base()) }));
};
