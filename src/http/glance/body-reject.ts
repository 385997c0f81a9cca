import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../errors/app-error.js';
import { isSigned } from '../aksk-auth.js';
import { hasBody } from '../body-parsers.js';

/**
 * Glance's `body_reject=True` (glance/api/v2/router.py: every GET and DELETE route but the image list, whose body
 * Glance ignores, and the tag and action routes): a body is a 400 "A body is not expected with this request.",
 * before it is read. Not for a signed caller: Huawei's SDK sends `{}` with every GET, covered by its signature
 * (which is checked) and then ignored, as Huawei's own gateway-fronted IMS serves it.
 */
export async function rejectBody(request: FastifyRequest, _reply: unknown, payload: unknown) {
  if (hasBody(request) && !isSigned(request)) throw badRequest('A body is not expected with this request.');
  return payload;
}
