import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverage, pathOf } from '../helpers/openapi-coverage.js';

const doc = {
  paths: {
    '/v2/images/{id}': { get: { responses: { 200: {}, 404: {}, 503: {} } }, delete: { responses: { 204: {} } } },
    '/v2/images/{id}/tags/{*}': { put: { responses: { 204: {} } } },
    '/v3/': { get: { responses: { 200: {} } } },
  },
};
const seen = (method: string, route: string, status: number) => ({ method, route, status, count: 1 });

describe('the OpenAPI coverage check (test/process/cache-off.test.ts)', () => {
  it('writes route patterns as the document\'s paths', () => {
    assert.equal(pathOf('/v2/images/:id/members/:member'), '/v2/images/{id}/members/{member}');
    assert.equal(pathOf('/v2/images/:id/tags/*'), '/v2/images/{id}/tags/{*}');
    assert.equal(pathOf('/v3/'), '/v3');
    assert.equal(pathOf('/'), '/');
  });

  it('passes when both sides agree, the exceptions aside', () => {
    assert.deepEqual(coverage(doc, [
      seen('GET', '/v2/images/:id', 200), seen('HEAD', '/v2/images/:id', 404), seen('DELETE', '/v2/images/:id', 204),
      seen('PUT', '/v2/images/:id/tags/*', 204), seen('GET', '/v3', 200),
      // Another method's 405 (or the 401 before it), and a path no route serves.
      seen('POST', '/v2/images/:id', 405), seen('PATCH', '/v2/images/:id', 401), seen('GET', 'unmatched', 404),
    ]), { undocumented: [], unobserved: [] });
  });

  it('fails both ways: an answer not documented, and a documented one never answered', () => {
    assert.deepEqual(coverage(doc, [
      seen('GET', '/v2/images/:id', 200), seen('GET', '/v2/images/:id', 400), seen('POST', '/v2/images/:id', 400),
      seen('PUT', '/v2/images/:id/tags/*', 204), seen('GET', '/v3', 200),
    ]), {
      undocumented: ['GET /v2/images/{id} 400', 'POST /v2/images/{id} 400'],
      unobserved: ['DELETE /v2/images/{id} 204', 'GET /v2/images/{id} 404'],
    });
  });
});
