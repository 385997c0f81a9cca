import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Container } from '../../container.js';
import { badRequest } from '../../errors/app-error.js';
import { rejectOtherMethods } from '../method-guard.js';
import { MEMBER_RESPONSE, memberJson, memberListJson, MEMBERS_RESPONSE } from './bodies.js';
import { sendJson } from '../rendered.js';

type Params = { id: string; member?: string };

/** Glance's deserializer steps 1-4: a body must be there, be JSON, and be a dict (a list is a TypeError). */
function dictBody(request: FastifyRequest, listMessage: string): Record<string, unknown> {
  const body = request.body;
  if (body === undefined) throw badRequest('Body expected in request.');
  if (Array.isArray(body)) throw badRequest(listMessage);
  if (typeof body !== 'object' || body === null) throw badRequest('Unexpected body type. Expected list/dict.');
  return body as Record<string, unknown>;
}

/** Glance v2 image members (glance-members.md §1), registered inside the Glance scope (prefix /v2). */
export async function glanceMemberRoutes(app: FastifyInstance, { container }: { container: Container }) {
  const { members } = container;

  app.post('/images/:id/members', { schema: { response: { 200: MEMBER_RESPONSE } } }, async (request, reply) => {
    const { id } = request.params as Params;
    const body = dictBody(request, 'Expected a member in the form: {"member": "image_id"}');
    if (!('member' in body)) throw badRequest('Member to be added not specified');
    const member = body.member;
    if (!member) throw badRequest("Member can't be empty");
    if (typeof member !== 'string') throw badRequest('Member must be a string.');
    return sendJson(reply, memberJson(await members.add(request.ctx, id, member)));
  });

  app.get('/images/:id/members', { schema: { response: { 200: MEMBERS_RESPONSE } } }, async (request, reply) => {
    const { id } = request.params as Params;
    return sendJson(reply, memberListJson(await members.list(request.ctx, id)));
  });
  rejectOtherMethods(app, '/images/:id/members', ['GET', 'POST']);

  app.get('/images/:id/members/:member', { schema: { response: { 200: MEMBER_RESPONSE } } }, async (request, reply) => {
    const { id, member } = request.params as Required<Params>;
    return sendJson(reply, memberJson(await members.show(request.ctx, id, member)));
  });

  app.put('/images/:id/members/:member', { schema: { response: { 200: MEMBER_RESPONSE } } }, async (request, reply) => {
    const { id, member } = request.params as Required<Params>;
    const body = dictBody(request, 'Expected a status in the form: {"status": "status"}');
    if (!('status' in body)) throw badRequest('Status not specified');
    return sendJson(reply, memberJson(await members.update(request.ctx, id, member, body.status, body.vault_id)));
  });

  app.delete('/images/:id/members/:member', async (request, reply) => {
    const { id, member } = request.params as Required<Params>;
    await members.remove(request.ctx, id, member);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/images/:id/members/:member', ['GET', 'PUT', 'DELETE']);
}
