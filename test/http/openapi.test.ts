import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';

type Operation = {
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
    assert.deepEqual(params(op('/v1/kms-grants', 'get')), ['query key_id?']);
    assert.deepEqual(params(op('/v1/kms-grants/{key_id}/projects/{project}', 'put')), ['path key_id', 'path project']);
    assert.deepEqual(params(op('/v3/projects/{id}', 'get')), ['path id']);
  });
});
