import type { FastifyReply } from 'fastify';

/**
 * `render`, remembering what it made for frozen values (the cached images, member rows, lists and jobs the
 * repositories share while their rows are unchanged) for as long as the value lives.
 */
export function rendered<T extends object, R>(render: (value: T) => R): (value: T) => R {
  const kept = new WeakMap<T, R>();
  return (value) => {
    const hit = kept.get(value);
    if (hit !== undefined) return hit;
    const out = render(value);
    if (Object.isFrozen(value)) kept.set(value, out);
    return out;
  };
}

/** Sends an already rendered JSON document (Fastify sends strings and buffers as they are). */
export function sendJson(reply: FastifyReply, json: string | Buffer, status = 200): FastifyReply {
  return reply.status(status).header('content-type', 'application/json; charset=utf-8').send(json);
}
