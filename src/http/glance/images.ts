import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Cache } from '../../cache/cache-space.js';
import { CONTAINER_FORMATS, DISK_FORMATS, VISIBILITIES } from '../../domain/image.js';
import { clip } from '../../domain/clip.js';
import { parseCreateBody } from '../../domain/image-input.js';
import { parsePatchBody, PATCH_MEDIA_TYPES, patchVersion } from '../../domain/image-patch.js';
import { type ImageListQuery, parseListQuery } from '../../domain/image-query.js';
import { AppError } from '../../errors/app-error.js';
import type { ImagePage } from '../../services/image-service.js';
import type { Viewer } from '../../policy/visibility.js';
import { BODY_LIMITS } from '../body-limits.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { IMAGE_RESPONSE, imageBodies, type ImageBodies, LIST_RESPONSE } from './bodies.js';
import { sendJson } from '../rendered.js';
import { IMAGE_PARAMS } from './params.js';

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });

const CREATE_BODY = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: nullable('string'), visibility: { type: 'string', enum: VISIBILITIES },
    container_format: nullable('string', { enum: [...CONTAINER_FORMATS, null] }),
    disk_format: nullable('string', { enum: [...DISK_FORMATS, null] }),
    protected: { type: 'boolean' }, os_hidden: { type: 'boolean' }, min_ram: { type: 'integer' },
    min_disk: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } },
    owner: nullable('string', { description: 'Admins only (or the caller\'s own project)' }),
  },
  additionalProperties: { type: 'string' },
} as const;

const PATCH_BODY = {
  type: 'array',
  items: {
    type: 'object',
    properties: { op: { type: 'string', enum: ['add', 'remove', 'replace'] }, path: { type: 'string' }, value: {} },
    description: 'v2.1: {"op","path","value"}; v2.0: {"replace": "/name", "value": ...}',
  },
} as const;

/** Image data, streamed (read by the handler, never parsed). */
const IMAGE_DATA = unparsed(Type.String({ format: 'binary' }));

const LIST_QUERY = {
  type: 'object',
  properties: {
    ...Object.fromEntries(['name', 'id', 'owner', 'status', 'container_format', 'disk_format', 'visibility',
      'member_status', 'size_min', 'size_max', 'protected', 'os_hidden', 'created_at', 'updated_at', 'limit', 'marker',
      'sort', 'sort_key', 'sort_dir', '__imagetype'].map((k) => [k, { type: 'string' }])),
    tag: { type: 'array', items: { type: 'string' }, description: 'Repeatable; every tag must be present' },
  },
  additionalProperties: { type: 'string', description: 'Extra-property equality filter' },
};

/** Python's `urllib.parse.quote_plus`, so links match Glance's `urlencode`. */
const quotePlus = (s: string) => encodeURIComponent(s)
  .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
const urlencode = (pairs: [string, string][]) => pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');

/** A list request's query string, parsed, and its links without the marker (`first`, and `next` before it). */
interface ListRequest {
  query: ImageListQuery;
  first: string;
  nextPrefix: string;
}

/**
 * Parses a list request's query string. First-page requests are kept (in the cache space, by query string):
 * clients repeat the same few (parsing is pure; errors are not kept). Requests with a marker are parsed
 * each time: a client walking a long list sends each once.
 */
function listRequest(url: string, kept: Cache<ListRequest>): ListRequest {
  const i = url.indexOf('?');
  const raw = i < 0 ? '' : url.slice(i + 1);
  const hit = kept.get(raw, 0);
  if (hit !== undefined) return hit;
  const pairs = [...new URLSearchParams(raw)] as [string, string][];
  const params = urlencode(pairs.filter(([k]) => k !== 'marker'));
  const request = { query: Object.freeze(parseListQuery(pairs)), first: params ? `/v2/images?${params}` : '/v2/images',
    nextPrefix: params ? `/v2/images?${params}&marker=` : '/v2/images?marker=' };
  // The query string (as key and in both links) and its parsed form, UTF-16.
  return request.query.marker === undefined ? kept.set(raw, 0, request, 512 + 8 * raw.length) : request;
}

/** `{images, first, next?, schema}` (Glance's `ResponseSerializer.index`): `next` only when the page was full. */
function listJson(page: ImagePage, viewer: Viewer, request: ListRequest,
  imageListJson: ImageBodies['imageListJson']): Buffer {
  const next = page.full ? `${request.nextPrefix}${quotePlus(page.images.at(-1)!.id)}` : undefined;
  return imageListJson(page.images, viewer, request.first, next);
}

const ACCEPT_PATCH = Object.keys(PATCH_MEDIA_TYPES).sort().join(', ');

/** The JSON-schema draft of a PATCH request's media type: only the two JSON-patch types (else 415 with `Accept-Patch`). */
function patchVersionOf(request: FastifyRequest): 4 | 10 {
  const type = request.headers['content-type'];
  const version = patchVersion(type);
  if (version === undefined) {
    throw new AppError('unsupported_media_type', `The request media type ${clip(type ?? 'None')} is not supported by `
      + 'this server.', { headers: { 'Accept-Patch': ACCEPT_PATCH } });
  }
  return version;
}

/** The PATCH media type is checked before the body is read. */
async function patchMediaType(request: FastifyRequest, _reply: unknown, payload: unknown) {
  patchVersionOf(request);
  return payload;
}

/** Image data must be `application/octet-stream` (415 before the body is read). */
async function octetStream(request: FastifyRequest, _reply: unknown, payload: unknown) {
  const type = request.headers['content-type'];
  if (type === undefined || type.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
    throw new AppError('unsupported_media_type', `Invalid content type ${clip(type ?? 'None')}`);
  }
  return payload;
}

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['glance'], summary, ...extra });

/** Glance v2 images (glance/api/v2/images.py), registered inside the Glance scope (prefix /v2). */
export const glanceImageRoutes: Routes = async (app, { container }) => {
  const listRequests = container.caches.cache<ListRequest>('image-list-requests');
  const { images } = container;
  const { imageJson, imageListJson } = imageBodies(container.caches);

  app.post('/images', {
    bodyLimit: BODY_LIMITS.image,
    schema: doc('Create an image', {
      body: CREATE_BODY, response: { 201: IMAGE_RESPONSE, ...failures(400, 403, 409, 413) },
    }),
  }, async (request, reply) => {
    const image = await images.create(request.ctx, parseCreateBody(request.body));
    reply.header('Location', `${container.urls.publicUrl}/v2/images/${image.id}`);
    return sendJson(reply, imageJson(image, request.ctx), 201);
  });

  app.get('/images', {
    schema: doc('List images', { querystring: LIST_QUERY, response: { 200: LIST_RESPONSE, ...failures(400) } }),
  }, async (request, reply) => {
    const list = listRequest(request.url, listRequests);
    return sendJson(reply, listJson(await images.list(request.ctx, list.query), request.ctx, list, imageListJson));
  });
  rejectOtherMethods(app, '/images', ['GET', 'POST']);

  app.get('/images/:id', {
    schema: doc('Show an image (413: a body sent with it)', {
      params: IMAGE_PARAMS, response: { 200: IMAGE_RESPONSE, ...failures(400, 404, 413) },
    }),
  }, async (request, reply) => sendJson(reply, imageJson(await images.show(request.ctx, request.params.id), request.ctx)));

  app.patch('/images/:id', {
    bodyLimit: BODY_LIMITS.image,
    preParsing: patchMediaType,
    schema: doc('Update an image (JSON patch)', {
      params: IMAGE_PARAMS, body: PATCH_BODY, response: { 200: IMAGE_RESPONSE, ...failures(400, 403, 404, 409, 415) },
      consumes: Object.keys(PATCH_MEDIA_TYPES),
    }),
  }, async (request, reply) => {
    const changes = parsePatchBody(request.body, patchVersionOf(request));
    return sendJson(reply, imageJson(await images.update(request.ctx, request.params.id, changes), request.ctx));
  });

  app.delete('/images/:id', {
    schema: doc('Delete an image', {
      params: IMAGE_PARAMS, response: { 204: { type: 'null' }, ...failures(400, 403, 404) },
    }),
  }, async (request, reply) => {
    await images.delete(request.ctx, request.params.id);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/images/:id', ['GET', 'PATCH', 'DELETE']);

  app.put('/images/:id/file', {
    preParsing: octetStream,
    schema: doc('Upload image data', {
      params: IMAGE_PARAMS, consumes: ['application/octet-stream'], body: IMAGE_DATA,
      response: { 204: { type: 'null' }, ...failures(400, 403, 404, 409, 415) },
    }),
  }, async (request, reply) => {
    const body = request.body instanceof Readable ? request.body : Readable.from([]);
    await images.upload(request.ctx, request.params.id, body);
    return reply.status(204).send();
  });

  app.get('/images/:id/file', {
    schema: doc('Download image data', {
      params: IMAGE_PARAMS, produces: ['application/octet-stream'],
      response: {
        200: { type: 'string', format: 'binary', description: 'The data (Content-MD5: its checksum)' },
        204: { type: 'null', description: 'The image has no data' }, ...failures(403, 404),
      },
    }),
  }, async (request, reply) => {
    const { image, data } = await images.download(request.ctx, request.params.id);
    if (!data) return reply.status(204).send();
    reply.header('Content-Type', 'application/octet-stream').header('Content-Length', data.size);
    if (image.checksum) reply.header('Content-MD5', image.checksum);
    return reply.send(data.stream);
  });
  rejectOtherMethods(app, '/images/:id/file', ['GET', 'PUT']);
};
