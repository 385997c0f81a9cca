import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AssignmentFilter } from '../../services/role-service.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import { ASSIGNMENTS_RESPONSE, assignmentBody, listLinks, NO_CONTENT, ROLE_RESPONSE, roleBody, ROLES_RESPONSE } from './bodies.js';
import { queryFlag } from './keystone-input.js';

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['keystone'], summary, ...extra });

const ROLE_PARAMS = Type.Object({ id: Type.String({ description: 'Role id' }) });
const ROLES_QUERY = unparsed(Type.Object({ name: Type.Optional(Type.String({ description: 'Only the role of this name' })) }));
const GRANT_PARAMS = Type.Object({
  id: Type.String({ description: 'Project id' }), user: Type.String({ description: 'User id' }),
  role: Type.String({ description: 'Role id' }),
});
const ASSIGNMENTS_QUERY = unparsed(Type.Object({
  'user.id': Type.Optional(Type.String()),
  'scope.project.id': Type.Optional(Type.String()),
  'role.id': Type.Optional(Type.String()),
  include_names: Type.Optional(Type.String({ description: 'With the names of roles, users, projects and domains' })),
  effective: Type.Optional(Type.String({ description: 'Accepted; without groups or inheritance, the same list' })),
  'group.id': Type.Optional(Type.String({ description: 'No groups here: nothing' })),
  'scope.domain.id': Type.Optional(Type.String({ description: 'No roles on domains here: nothing' })),
  'scope.system': Type.Optional(Type.String({ description: 'No system roles here: nothing' })),
}));

/** The filters of `GET /v3/role_assignments`; those on what ims has not (groups, domain and system scope) match none. */
function assignmentFilter(request: FastifyRequest): AssignmentFilter {
  const none = ['group.id', 'scope.domain.id', 'scope.system', 'scope.OS-INHERIT:inherited_to']
    .some((name) => singleQuery(request, name) !== undefined);
  return {
    userId: singleQuery(request, 'user.id'), projectId: singleQuery(request, 'scope.project.id'),
    roleId: singleQuery(request, 'role.id'), none,
  };
}

/** Keystone's roles and their assignments to users on projects. Registered in the Keystone scope that authenticates. */
export const roleRoutes: Routes = async (app, { container }) => {
  const { roles } = container;
  const base = () => container.urls.publicUrl;

  app.get('/roles', { schema: doc('List roles (admins)', { querystring: ROLES_QUERY, response: { 200: ROLES_RESPONSE, ...failures(403) } }) },
    async (request) => ({
      roles: (await roles.list(request.ctx, singleQuery(request, 'name'))).map((r) => roleBody(r, base())),
      links: listLinks(base(), 'roles'),
    }));
  rejectOtherMethods(app, '/roles', ['GET']);
  app.get('/roles/:id', { schema: doc('Show a role (admins)', { params: ROLE_PARAMS, response: { 200: ROLE_RESPONSE, ...failures(403, 404) } }) },
    async (request) => ({ role: roleBody(await roles.get(request.ctx, request.params.id), base()) }));
  rejectOtherMethods(app, '/roles/:id', ['GET']);

  const grant = '/projects/:id/users/:user/roles/:role';
  app.put(grant, { schema: doc('Give a user a role on a project (admins)', {
    params: GRANT_PARAMS, response: { ...NO_CONTENT, ...failures(403, 404) } }) }, async (request, reply) => {
    const { id, user, role } = request.params;
    await roles.grant(request.ctx, id, user, role);
    return reply.status(204).send();
  });
  // Keystone's check_grant is HEAD only: listed in /openapi.json, which leaves out the HEADs of GET routes.
  app.head(grant, { config: { swagger: { exposeHeadRoute: true } },
    schema: doc('Whether a user holds a role on a project (admins)', {
    params: GRANT_PARAMS, response: { ...NO_CONTENT, ...failures(403, 404) } }) }, async (request, reply) => {
    const { id, user, role } = request.params;
    await roles.check(request.ctx, id, user, role);
    return reply.status(204).send();
  });
  app.delete(grant, { schema: doc('Take a role on a project from a user (admins); its tokens there are revoked', {
    params: GRANT_PARAMS, response: { ...NO_CONTENT, ...failures(403, 404) } }) }, async (request, reply) => {
    const { id, user, role } = request.params;
    await roles.revoke(request.ctx, id, user, role);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, grant, ['PUT', 'HEAD', 'DELETE']);

  app.get('/role_assignments', { schema: doc('List role assignments (admins)', {
    querystring: ASSIGNMENTS_QUERY, response: { 200: ASSIGNMENTS_RESPONSE, ...failures(400, 403) } }) }, async (request) => {
    const names = queryFlag(singleQuery(request, 'include_names'));
    const rows = await roles.assignments(request.ctx, assignmentFilter(request));
    return {
      role_assignments: rows.map(({ row, role }) => assignmentBody(row, role, base(), names)),
      links: listLinks(base(), 'role_assignments'),
    };
  });
  rejectOtherMethods(app, '/role_assignments', ['GET']);
};
