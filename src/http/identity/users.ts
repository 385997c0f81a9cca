import { Type } from '@sinclair/typebox';
import { DEFAULT_DOMAIN } from '../../repos/identity-repo.js';
import { MAX_PASSWORD_LENGTH, type UserChange, type UserInput } from '../../services/user-service.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import { listLinks, NO_CONTENT, projectBody, PROJECTS_RESPONSE, USER_RESPONSE, userBody, USERS_RESPONSE } from './bodies.js';
import { booleanOf, enabledFilter, entityOf, nameOf, stringOf } from './keystone-input.js';

/** Keystone's longest user name; the longest description and email kept. */
const MAX_NAME = 255;
const MAX_TEXT = 255;

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['keystone'], summary, ...extra });

const USER_PARAMS = Type.Object({ id: Type.String({ description: 'User id' }) });
const USERS_QUERY = unparsed(Type.Object({
  name: Type.Optional(Type.String({ description: 'Only the user of this name' })),
  domain_id: Type.Optional(Type.String({ description: 'Only the users of this domain' })),
  enabled: Type.Optional(Type.String({ description: 'Only enabled (true) or disabled (false) users' })),
}));
const USER_FIELDS = {
  name: Type.String({ minLength: 1, maxLength: MAX_NAME }),
  password: Type.Optional(Type.Union([Type.String({ maxLength: MAX_PASSWORD_LENGTH }), Type.Null()])),
  default_project_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  domain_id: Type.Optional(Type.String({ description: 'Default: the default domain' })),
  enabled: Type.Optional(Type.Boolean()),
  description: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT }), Type.Null()])),
  email: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT }), Type.Null()])),
};
const NEW_USER_BODY = unparsed(Type.Object({ user: Type.Object(USER_FIELDS) }));
const USER_CHANGE_BODY = unparsed(Type.Object({ user: Type.Partial(Type.Object(USER_FIELDS)) }));

function parseNewUser(body: unknown): UserInput {
  const u = entityOf(body, 'user');
  return {
    name: nameOf(u, MAX_NAME, true)!, domainId: stringOf(u, 'domain_id', 64, false) ?? DEFAULT_DOMAIN.id,
    password: stringOf(u, 'password', Infinity) ?? null,
    defaultProjectId: stringOf(u, 'default_project_id', 64) ?? null, enabled: booleanOf(u, 'enabled') ?? true,
    description: stringOf(u, 'description', MAX_TEXT) ?? null, email: stringOf(u, 'email', MAX_TEXT) ?? null,
  };
}

function parseUserChange(body: unknown): UserChange {
  const u = entityOf(body, 'user', { update: true });
  const change: UserChange = {};
  const name = nameOf(u, MAX_NAME, false);
  if (name !== undefined) change.name = name;
  const password = stringOf(u, 'password', Infinity);
  if (password !== undefined) change.password = password;
  const project = stringOf(u, 'default_project_id', 64);
  if (project !== undefined) change.defaultProjectId = project;
  const enabled = booleanOf(u, 'enabled');
  if (enabled !== undefined) change.enabled = enabled;
  const description = stringOf(u, 'description', MAX_TEXT);
  if (description !== undefined) change.description = description;
  const email = stringOf(u, 'email', MAX_TEXT);
  if (email !== undefined) change.email = email;
  const domainId = stringOf(u, 'domain_id', 64, false);
  if (domainId !== undefined) change.domainId = domainId;
  return change;
}

/** `/v3/users`: Keystone's users. Registered in the Keystone scope that authenticates. */
export const userRoutes: Routes = async (app, { container }) => {
  const { users, projects } = container;
  const base = () => container.urls.publicUrl;

  app.get('/users', { schema: doc('List users (admins)', {
    querystring: USERS_QUERY, response: { 200: USERS_RESPONSE, ...failures(403) } }) }, async (request) => {
    const rows = await users.list(request.ctx, { name: singleQuery(request, 'name'),
      domainId: singleQuery(request, 'domain_id'), enabled: enabledFilter(singleQuery(request, 'enabled')) });
    return { users: rows.map((u) => userBody(u, base())), links: listLinks(base(), 'users') };
  });
  app.post('/users', { schema: doc('Create a user (admins)', {
    body: NEW_USER_BODY, response: { 201: USER_RESPONSE, ...failures(400, 403, 404, 409) } }) }, async (request, reply) => {
    const user = await users.create(request.ctx, parseNewUser(request.body));
    return reply.status(201).send({ user: userBody(user, base()) });
  });
  rejectOtherMethods(app, '/users', ['GET', 'POST']);

  app.get('/users/:id', { schema: doc('Show a user (admins, or the user itself)', {
    params: USER_PARAMS, response: { 200: USER_RESPONSE, ...failures(403, 404) } }) }, async (request) =>
    ({ user: userBody(await users.get(request.ctx, request.params.id), base()) }));
  app.patch('/users/:id', { schema: doc('Change a user (admins); a new password or disabling revokes its tokens', {
    params: USER_PARAMS, body: USER_CHANGE_BODY, response: { 200: USER_RESPONSE, ...failures(400, 403, 404, 409) } }) }, async (request) =>
    ({ user: userBody(await users.update(request.ctx, request.params.id, parseUserChange(request.body)), base()) }));
  app.delete('/users/:id', { schema: doc('Delete a user (admins): its role assignments, access keys and tokens go', {
    params: USER_PARAMS, response: { ...NO_CONTENT, ...failures(403, 404) } }) }, async (request, reply) => {
    await users.delete(request.ctx, request.params.id);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/users/:id', ['GET', 'PATCH', 'DELETE']);

  app.get('/users/:id/projects', { schema: doc('List the projects a user holds a role on (admins, or the user itself)', {
    params: USER_PARAMS, response: { 200: PROJECTS_RESPONSE, ...failures(403, 404) } }) }, async (request) => ({
    projects: (await projects.ofUser(request.ctx, request.params.id)).map((p) => projectBody(p, base())),
    links: listLinks(base(), `users/${request.params.id}/projects`),
  }));
  rejectOtherMethods(app, '/users/:id/projects', ['GET']);
};
