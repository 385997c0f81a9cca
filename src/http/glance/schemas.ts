import type { FastifyInstance } from 'fastify';
import { IMAGE_PROPERTIES } from '../../domain/image-schema.js';
import { rejectOtherMethods } from '../method-guard.js';

/** Glance's `PermissiveSchema('image')`: extra properties are strings. */
export const IMAGE_JSON_SCHEMA = {
  name: 'image',
  properties: IMAGE_PROPERTIES,
  additionalProperties: { type: 'string' },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

const IMAGES_JSON_SCHEMA = {
  name: 'images',
  properties: {
    images: { type: 'array', items: IMAGE_JSON_SCHEMA },
    first: { type: 'string' },
    next: { type: 'string' },
    schema: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

/** The member schema's minimal form (glance/api/v2/image_members.py `get_schema`): no additionalProperties. */
const MEMBER_JSON_SCHEMA = {
  name: 'member',
  properties: {
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    image_id: {
      type: 'string', description: 'An identifier for the image',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
    },
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    status: {
      type: 'string', description: 'The status of this image member', enum: ['pending', 'accepted', 'rejected'],
    },
    schema: { readOnly: true, type: 'string' },
  },
};

const MEMBERS_JSON_SCHEMA = {
  name: 'members',
  properties: {
    members: { type: 'array', items: MEMBER_JSON_SCHEMA },
    schema: { type: 'string' },
  },
  links: [{ rel: 'describedby', href: '{schema}' }],
};

const DOCS = {
  image: IMAGE_JSON_SCHEMA, images: IMAGES_JSON_SCHEMA, member: MEMBER_JSON_SCHEMA, members: MEMBERS_JSON_SCHEMA,
};

/** `GET /v2/schemas/{image,images,member,members}`. */
export async function glanceSchemaRoutes(app: FastifyInstance) {
  for (const [name, doc] of Object.entries(DOCS)) {
    const body = JSON.stringify(doc);
    app.get(`/schemas/${name}`, {
      schema: { tags: ['glance'], summary: `The ${name} JSON schema`, response: { 200: { type: 'object', additionalProperties: true } } },
    }, async (_request, reply) => reply.type('application/json').send(body));
    rejectOtherMethods(app, `/schemas/${name}`, ['GET']);
  }
}
