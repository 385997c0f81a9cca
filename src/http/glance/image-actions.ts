import type { Static } from '@sinclair/typebox';
import type { ImageAction } from '../../domain/image-status.js';
import { notFound } from '../../errors/app-error.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import type { Routes } from '../request-schemas.js';
import { rejectBody } from './body-reject.js';
import { IMAGE_PARAMS, TAG_PARAMS } from './params.js';

const NO_CONTENT = { 204: { type: 'null' } } as const;
const NO_BODY = { 204: NO_CONTENT[204], ...failures(400, 403, 404) };

/**
 * The tag of `/images/{id}/tags/*`. A wildcard rather than a `:tag` parameter because the router caps
 * parameters at MAX_PARAM_LENGTH characters (a 414) and a tag may have 255 characters, each up to 12
 * once percent-encoded in the path. Glance's router wants one path segment of at least one character there.
 */
function tagOf({ id, '*': tag }: Static<typeof TAG_PARAMS>): { id: string; tag: string } {
  if (tag === '' || tag.includes('/')) throw notFound('The resource could not be found.');
  return { id, tag };
}

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['glance'], summary, ...extra });

/**
 * Glance v2 image tags (`/images/{id}/tags/{tag}`) and actions (`/images/{id}/actions/deactivate|reactivate`),
 * registered inside the Glance scope (prefix /v2). Each answers 204 with no body.
 */
export const glanceImageActionRoutes: Routes = async (app, { container }) => {
  const { images } = container;

  app.put('/images/:id/tags/*', {
    preParsing: rejectBody,
    schema: doc('Add a tag to an image', { params: TAG_PARAMS, response: { ...NO_BODY, ...failures(413) } }),
  }, async (request, reply) => {
    const { id, tag } = tagOf(request.params);
    await images.addTag(request.ctx, id, tag);
    return reply.status(204).send();
  });

  app.delete('/images/:id/tags/*', {
    schema: doc('Remove a tag from an image', { params: TAG_PARAMS, response: NO_BODY }),
  }, async (request, reply) => {
    const { id, tag } = tagOf(request.params);
    await images.removeTag(request.ctx, id, tag);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/images/:id/tags/*', ['PUT', 'DELETE']);

  for (const action of ['deactivate', 'reactivate'] as const satisfies readonly ImageAction[]) {
    const url = `/images/:id/actions/${action}`;
    const summary = `${action[0]!.toUpperCase()}${action.slice(1)} an image`;
    app.post(url, {
      preParsing: rejectBody,
      schema: doc(summary, { params: IMAGE_PARAMS, response: NO_BODY }),
    }, async (request, reply) => {
      await images.act(request.ctx, request.params.id, action);
      return reply.status(204).send();
    });
    rejectOtherMethods(app, url, ['POST']);
  }
};
