import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { buildTestApp, json } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';

type Operation = {
  security?: unknown[];
  responses: Record<string, { description: string; content?: Record<string, { schema: any }> }>;
  parameters?: { in: string; name: string; required: boolean; description?: string }[];
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties: Record<string, any> } }> };
};

// The request schemas of the routes (TypeBox, src/http/**) are what /openapi.json describes.
describe('/openapi.json', () => {
  it('describes the path and query parameters and the JSON bodies of the sharing routes', async (t) => {
    const { app } = await buildTestApp(t, databaseKinds()[0]!);
    const doc = json(await app.inject({ url: '/openapi.json' })) as { paths: Record<string, Record<string, Operation>> };
    const op = (path: string, method: string) => {
      const found = doc.paths[path]?.[method];
      assert.ok(found, `${method} ${path}`);
      return found;
    };
    const params = (o: Operation) => (o.parameters ?? []).map((p) => `${p.in} ${p.name}${p.required ? '' : '?'}`);
    const body = (o: Operation) => o.requestBody!.content['application/json']!.schema;

    assert.deepEqual(params(op('/v2/images/{id}/members/{member}', 'put')), ['path id', 'path member']);
    assert.equal(op('/v2/images/{id}', 'get').parameters![0]!.description, 'Image id (UUID)');
    assert.deepEqual(params(op('/v2/images/{id}/tags/{*}', 'put')), ['path id', 'path *']);
    assert.deepEqual(body(op('/v2/images/{id}/members', 'post')).required, ['member']);
    assert.equal(body(op('/v2/images/{id}/members', 'post')).properties.member.maxLength, 255);
    assert.deepEqual(Object.keys(body(op('/v2/images/{id}/members/{member}', 'put')).properties), ['status', 'vault_id']);

    for (const method of ['post', 'delete']) {
      const pairs = body(op('/v1/cloudimages/members', method));
      assert.deepEqual(pairs.required, ['images']);
      assert.equal(pairs.properties.images.maxItems, 1000);
      assert.equal(pairs.properties.projects.items.pattern, '^[0-9a-f]{32}$');
      assert.deepEqual(Object.keys(pairs.properties), ['images', 'projects', 'domains', 'organizations']);
    }
    const update = body(op('/v1/cloudimages/members', 'put'));
    assert.deepEqual(update.required, ['images', 'project_id', 'status']);
    assert.equal(update.properties.vault_id.nullable, true);
    assert.deepEqual(params(op('/v1/{project_id}/cloudimages/{image_id}/members', 'get')),
      ['query limit?', 'query marker?', 'path project_id', 'path image_id']);
    assert.deepEqual(params(op('/v1/{project_id}/jobs/{job_id}', 'get')), ['path project_id', 'path job_id']);
    assert.deepEqual(params(op('/v1/{project_id}/jobs', 'get')), ['query limit?', 'query marker?', 'path project_id']);
    assert.deepEqual(params(op('/v1/kms-grants', 'get')), ['query key_id?']);
    assert.deepEqual(params(op('/v1/kms-grants/{key_id}/projects/{project}', 'put')), ['path key_id', 'path project']);
    assert.deepEqual(params(op('/v3/projects/{id}', 'get')), ['path id']);
  });

  it('is valid OpenAPI 3 (@readme/openapi-parser), with its security schemes, and every route\'s answers', async (t) => {
    const { app } = await buildTestApp(t, databaseKinds()[0]!);
    const doc = json(await app.inject({ url: '/openapi.json' })) as {
      openapi: string; security: unknown[]; paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, Record<string, string>> };
    };
    const result = await validate(structuredClone(doc) as never);
    assert.deepEqual(result, { valid: true, warnings: [], specification: 'OpenAPI' });
    assert.match(doc.openapi, /^3\.0\./);

    assert.deepEqual(doc.components.securitySchemes.token, { type: 'apiKey', in: 'header', name: 'X-Auth-Token',
      description: doc.components.securitySchemes.token!.description });
    assert.equal(doc.components.securitySchemes.aksk!.scheme, 'SDK-HMAC-SHA256');
    assert.match(doc.components.securitySchemes.aksk!.description!, /X-Sdk-Date.*X-Project-Id/);
    assert.deepEqual(doc.security, [{ token: [] }, { aksk: [] }]);
    const open = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops)
      .filter(([, o]) => o.security?.length === 0).map(([method]) => `${method} ${path}`));
    assert.deepEqual(open.sort(), ['get /', 'get /healthz', 'get /metrics', 'get /openapi.json', 'get /readyz',
      'get /v3/', 'get /versions', 'post /v3/auth/tokens']);

    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]![method]!.responses);
    assert.deepEqual(statuses('/v2/images/{id}/members/{member}', 'delete'), ['204', '401', '403', '404', '429', '503']);
    assert.deepEqual(statuses('/v3/auth/tokens', 'post'), ['201', '400', '401', '429']);
    for (const method of ['put', 'delete']) assert.equal(statuses('/v1/kms-grants/{key_id}/projects/{project}', method)[0], '204');
    for (const method of ['post', 'put', 'delete']) {
      const ok = doc.paths['/v1/cloudimages/members']![method]!.responses['200']!;
      assert.deepEqual(ok.content!['application/json']!.schema.required, ['job_id']);
    }
    const job = doc.paths['/v1/{project_id}/jobs/{job_id}']!.get!.responses['200']!.content!['application/json']!.schema;
    assert.deepEqual(job.properties.status.enum, ['INIT', 'RUNNING', 'SUCCESS', 'FAIL']);
    const jobs = doc.paths['/v1/{project_id}/jobs']!.get!.responses['200']!.content!['application/json']!.schema;
    assert.deepEqual(Object.keys(jobs.properties.jobs.items.properties),
      [...Object.keys(job.properties).filter((k) => k !== 'entities'), 'pairs']);
    assert.deepEqual(Object.keys(jobs.properties.jobs.items.properties.pairs.properties), ['total', 'done', 'failed']);
    // Every answer is described; every error has the body of its path's dialect.
    const errorBody = (path: string, method: string, status: string) =>
      doc.paths[path]![method]!.responses[status]!.content!['application/json']!.schema;
    assert.deepEqual(errorBody('/v3/projects', 'get', '403').required, ['error']);
    assert.deepEqual(errorBody('/v1/{project_id}/jobs/{job_id}', 'get', '404').oneOf.map((o: any) => o.required),
      [['error'], ['error_code', 'error_msg']]);
    assert.deepEqual(errorBody('/v1/organizations', 'post', '409').required, ['error_code', 'error_msg']);
    assert.ok(doc.paths['/v2/images/{id}']!.get!.responses['404']!.content!['text/html']);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(ops)) {
        assert.ok(Object.keys(o.responses).some((s) => s < '400'), `${method} ${path}: no success documented`);
        for (const [status, r] of Object.entries(o.responses)) {
          assert.ok(r.description && r.description !== 'Default Response', `${method} ${path} ${status}: described`);
          if (status >= '400' && !(path === '/readyz')) assert.ok(r.content, `${method} ${path} ${status}: a body`);
        }
      }
    }
  });

  it('documents without changing what is sent: free-form image properties stay, job ids are as before', async (t) => {
    const tapp = await buildTestApp(t, databaseKinds()[0]!);
    const headers = { 'x-auth-token': tapp.tokens.demo };
    const created = await tapp.app.inject({ method: 'POST', url: '/v2/images', headers,
      payload: { name: 'i', container_format: 'bare', disk_format: 'raw', os_distro: 'debian' } });
    assert.equal(created.statusCode, 201);
    const id = (json(created) as { id: string }).id;
    const shown = await tapp.app.inject({ url: `/v2/images/${id}`, headers });
    assert.equal((json(shown) as { os_distro: string }).os_distro, 'debian');
    const listed = await tapp.app.inject({ url: '/v2/cloudimages', headers });
    assert.equal((json(listed) as { images: { os_distro: string }[] }).images[0]!.os_distro, 'debian');
  });
});
