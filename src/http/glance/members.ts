import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { sendJson } from '../rendered.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { MEMBER_RESPONSE, memberBodies, MEMBERS_RESPONSE } from './bodies.js';
import { NEW_MEMBER_BODY, parseNewMember, parseStatusChange, STATUS_BODY } from './member-input.js';
import { IMAGE_PARAMS, MEMBER_PARAMS } from './params.js';
import { MEMBERS_QUERY } from '../ims/params.js';
import { memberPage } from '../member-paging.js';

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['glance'], summary, ...extra });

/** Glance v2 image members (glance/api/v2/image_members.py), registered inside the Glance scope (prefix /v2). */
export const glanceMemberRoutes: Routes = async (app, { container }) => {
  const { members } = container;
  const { memberJson, memberListJson } = memberBodies(container.caches);

  app.post('/images/:id/members', {
    schema: doc('Share an image with a project', {
      params: IMAGE_PARAMS, body: unparsed(NEW_MEMBER_BODY),
      response: { 200: MEMBER_RESPONSE, ...failures(400, 403, 404, 409, 413) },
    }),
  }, async (request, reply) => {
    const member = parseNewMember(request.body);
    return sendJson(reply, memberJson(await members.add(request.ctx, request.params.id, member)));
  });

  app.get('/images/:id/members', {
    schema: doc('List the members of an image (all of them, or a page with limit and a base64 marker)', {
      params: IMAGE_PARAMS, querystring: MEMBERS_QUERY, response: { 200: MEMBERS_RESPONSE, ...failures(400, 403, 404) },
    }),
  }, async (request, reply) => {
    const { rows, more } = await memberPage(members, request, request.params.id);
    return sendJson(reply, memberListJson(rows, more));
  });
  rejectOtherMethods(app, '/images/:id/members', ['GET', 'POST']);

  app.get('/images/:id/members/:member', {
    schema: doc('Show a member of an image', {
      params: MEMBER_PARAMS, response: { 200: MEMBER_RESPONSE, ...failures(404) },
    }),
  }, async (request, reply) => {
    const { id, member } = request.params;
    return sendJson(reply, memberJson(await members.show(request.ctx, id, member)));
  });

  app.put('/images/:id/members/:member', {
    schema: doc('Accept or reject an image shared with the project', {
      params: MEMBER_PARAMS, body: unparsed(STATUS_BODY), response: { 200: MEMBER_RESPONSE, ...failures(400, 403, 404) },
    }),
  }, async (request, reply) => {
    const { id, member } = request.params;
    const change = parseStatusChange(request.body);
    return sendJson(reply, memberJson(await members.update(request.ctx, id, member, change)));
  });

  app.delete('/images/:id/members/:member', {
    schema: doc('Remove a member from an image', {
      params: MEMBER_PARAMS, response: { 204: { type: 'null' }, ...failures(403, 404) },
    }),
  }, async (request, reply) => {
    const { id, member } = request.params;
    await members.remove(request.ctx, id, member);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/images/:id/members/:member', ['GET', 'PUT', 'DELETE']);
};
