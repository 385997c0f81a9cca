import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../errors/app-error.js';
import { errorHeaders } from '../errors.js';
import { STATUS_TITLES } from '../status-titles.js';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** webob's choice between its HTML, JSON and plain-text error bodies, from the Accept header. */
function errorFormat(accept: string | undefined): 'json' | 'html' | 'plain' {
  if (!accept) return 'html';
  const types = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type!.trim(), q: q ? Number(q.slice(2)) : 1 };
  }).filter((t) => t.q > 0);
  const best = (offer: string) => Math.max(0, ...types.filter((t) => t.type === offer || t.type === '*/*'
    || t.type === `${offer.split('/')[0]}/*`).map((t) => t.q));
  const scores = { html: best('text/html'), json: best('application/json'), plain: best('text/plain') };
  if (scores.html >= scores.json && scores.html >= scores.plain && scores.html > 0) return 'html';
  if (scores.json >= scores.plain && scores.json > 0) return 'json';
  return scores.plain > 0 ? 'plain' : 'html';
}

/** Glance (webob) error bodies: JSON `{"message","code","title"}` when the client accepts JSON, else HTML. */
export function renderGlanceError(err: AppError, request: FastifyRequest, reply: FastifyReply) {
  const headers = errorHeaders(err);
  if (headers) reply.headers(headers);
  const title = STATUS_TITLES[err.status] ?? 'Error';
  const code = `${err.status} ${title}`;
  reply.status(err.status);
  if (err.code === 'unauthorized') {
    // keystonemiddleware answers before Glance does, with Keystone's JSON body (docs/compatibility.md).
    return reply.type('application/json').send({ error: { code: 401, title, message: err.message } });
  }
  const format = errorFormat(request.headers.accept);
  if (format === 'json') {
    // webob's content type, without a charset (Fastify adds one to a string it sends as JSON; not to bytes).
    return reply.header('content-type', 'application/json')
      .send(Buffer.from(JSON.stringify({ message: `${err.message}<br /><br />\n\n\n`, code, title })));
  }
  if (format === 'plain') {
    return reply.type('text/plain; charset=UTF-8').send(`${code}\n\n${err.message}\n\n   `);
  }
  return reply.type('text/html; charset=UTF-8').send(
    `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  `
    + `${escapeHtml(err.message)}<br /><br />\n\n\n\n </body>\n</html>`);
}
