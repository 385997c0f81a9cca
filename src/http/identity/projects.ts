import { Type } from '@sinclair/typebox';
import { DEFAULT_DOMAIN } from '../../repos/identity-repo.js';
import type { ProjectChange, ProjectInput } from '../../services/project-service.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import { listLinks, NO_CONTENT, PROJECT_RESPONSE, projectBody, PROJECTS_RESPONSE } from './bodies.js';
import { booleanOf, enabledFilter, entityOf, nameOf, stringOf } from './keystone-input.js';

/** Keystone's longest project name, and the longest description kept. */
const MAX_NAME = 64;
const MAX_DESCRIPTION = 255;

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['keystone'], summary, ...extra });

const PROJECT_PARAMS = Type.Object({ id: Type.String({ description: 'Project id' }) });
const PROJECTS_QUERY = unparsed(Type.Object({
  name: Type.Optional(Type.String({ description: 'Only the project of this name' })),
  domain_id: Type.Optional(Type.String({ description: 'Only the projects of this domain' })),
  enabled: Type.Optional(Type.String({ description: 'Only enabled (true) or disabled (false) projects' })),
}));
const PROJECT_FIELDS = {
  name: Type.String({ minLength: 1, maxLength: MAX_NAME }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: MAX_DESCRIPTION }), Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
  domain_id: Type.Optional(Type.String({ description: 'Default: the default domain' })),
};
const NEW_PROJECT_BODY = unparsed(Type.Object({ project: Type.Object(PROJECT_FIELDS) }));
const PROJECT_CHANGE_BODY = unparsed(Type.Object({ project: Type.Partial(Type.Object(PROJECT_FIELDS)) }));

function parseNewProject(body: unknown): ProjectInput {
  const p = entityOf(body, 'project');
  return {
    name: nameOf(p, MAX_NAME, true)!, domainId: stringOf(p, 'domain_id', 64, false) ?? DEFAULT_DOMAIN.id,
    description: stringOf(p, 'description', MAX_DESCRIPTION) ?? '', enabled: booleanOf(p, 'enabled') ?? true,
  };
}

function parseProjectChange(body: unknown): ProjectChange {
  const p = entityOf(body, 'project', { update: true });
  const name = nameOf(p, MAX_NAME, false);
  const description = stringOf(p, 'description', MAX_DESCRIPTION);
  const enabled = booleanOf(p, 'enabled');
  const domainId = stringOf(p, 'domain_id', 64, false);
  return {
    ...(name === undefined ? {} : { name }), ...(description === undefined ? {} : { description: description ?? '' }),
    ...(enabled === undefined ? {} : { enabled }), ...(domainId === undefined ? {} : { domainId }),
  };
}

/** `/v3/projects`: Keystone's projects. Registered in the Keystone scope that authenticates. */
export const projectRoutes: Routes = async (app, { container }) => {
  const { projects } = container;
  const base = () => container.urls.publicUrl;

  app.get('/projects', { schema: doc('List projects (admins)', {
    querystring: PROJECTS_QUERY, response: { 200: PROJECTS_RESPONSE, ...failures(403) } }) }, async (request) => {
    const rows = await projects.list(request.ctx, { name: singleQuery(request, 'name'),
      domainId: singleQuery(request, 'domain_id'), enabled: enabledFilter(singleQuery(request, 'enabled')) });
    return { projects: rows.map((p) => projectBody(p, base())), links: listLinks(base(), 'projects') };
  });
  app.post('/projects', { schema: doc('Create a project (admins)', {
    body: NEW_PROJECT_BODY, response: { 201: PROJECT_RESPONSE, ...failures(400, 403, 404, 409) } }) }, async (request, reply) => {
    const project = await projects.create(request.ctx, parseNewProject(request.body));
    return reply.status(201).send({ project: projectBody(project, base()) });
  });
  rejectOtherMethods(app, '/projects', ['GET', 'POST']);

  app.get('/projects/:id', { schema: doc('Show a project (admins, or a token scoped to it)', {
    params: PROJECT_PARAMS, response: { 200: PROJECT_RESPONSE, ...failures(403, 404) } }) }, async (request) =>
    ({ project: projectBody(await projects.get(request.ctx, request.params.id), base()) }));
  app.patch('/projects/:id', { schema: doc('Change a project (admins); disabling it revokes its tokens', {
    params: PROJECT_PARAMS, body: PROJECT_CHANGE_BODY, response: { 200: PROJECT_RESPONSE, ...failures(400, 403, 404, 409) } }) }, async (request) => {
    const project = await projects.update(request.ctx, request.params.id, parseProjectChange(request.body));
    return { project: projectBody(project, base()) };
  });
  app.delete('/projects/:id', { schema: doc('Delete a project (admins): its role assignments and tokens go', {
    params: PROJECT_PARAMS, response: { ...NO_CONTENT, ...failures(403, 404) } }) }, async (request, reply) => {
    await projects.delete(request.ctx, request.params.id);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/projects/:id', ['GET', 'PATCH', 'DELETE']);
};
