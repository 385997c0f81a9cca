import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Container } from '../../container.js';
import { imageBody } from '../../domain/image.js';
import { imageTypeFor } from '../../policy/visibility.js';
import { parseListQuery } from '../../domain/image-query.js';
import { failures } from '../openapi.js';
import { unparsed } from '../request-schemas.js';
import { renderUnknownApi } from './errors.js';
import { CLOUDIMAGES_RESPONSE } from './schemas.js';

const CLOUDIMAGES_QUERY = unparsed(Type.Object({
  __imagetype: Type.Optional(Type.String({ description: 'gold, private or shared' })),
  visibility: Type.Optional(Type.String()),
  member_status: Type.Optional(Type.String({ description: 'pending, accepted or rejected (images shared with the caller)' })),
  owner: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String({ description: 'Default 500' })),
  marker: Type.Optional(Type.String()),
}));

/** ListImages lists 500 images unless told otherwise (Glance's default is 25). */
const IMS_LIMIT_DEFAULT = '500';

/**
 * `GET /v2/cloudimages` (Huawei's ListImages): the Glance listing with its sharing filters
 * (`__imagetype`, `visibility`, `member_status`, `owner`, `limit`, `marker`), answered as `{"images": [...]}`.
 */
export async function cloudImageRoutes(app: FastifyInstance, { container }: { container: Container }) {
  // Paths under /v2/cloudimages are IMS's, as under /v1: the gateway's answer, not Glance's 404.
  app.setNotFoundHandler((request, reply) => renderUnknownApi(request, reply));
  app.get('/', {
    schema: {
      tags: ['ims'], summary: 'ListImages: list images with their sharing filters',
      querystring: CLOUDIMAGES_QUERY, response: { 200: CLOUDIMAGES_RESPONSE, ...failures(400) },
    },
  }, async (request) => {
    const i = request.url.indexOf('?');
    const pairs: [string, string][] = i < 0 ? [] : [...new URLSearchParams(request.url.slice(i + 1))];
    if (!pairs.some(([k]) => k === 'limit')) pairs.push(['limit', IMS_LIMIT_DEFAULT]);
    // A member status is a recipient's: with one, IMS lists only images shared with the caller.
    if (pairs.some(([k]) => k === 'member_status') && !pairs.some(([k]) => k === '__imagetype')) {
      pairs.push(['__imagetype', 'shared']);
    }
    const page = await container.images.list(request.ctx, parseListQuery(pairs));
    return { images: page.images.map((image) => imageBody(image, imageTypeFor(request.ctx, image))) };
  });
}
