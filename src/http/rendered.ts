import type { FastifyReply } from 'fastify';

/** Sends an already rendered JSON document (Fastify sends strings and buffers as they are). */
export function sendJson(reply: FastifyReply, json: string | Buffer, status = 200): FastifyReply {
  return reply.status(status).header('content-type', 'application/json; charset=utf-8').send(json);
}
