import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** The body is image data, streamed by its route: it may take long, but may not stall. */
const streamed = (request: FastifyRequest) => request.headers['content-type'] === 'application/octet-stream';

function bodyTimeout(timeoutMs: number, reply: FastifyReply, what: string): AppError {
  // The rest of the body is not read: the connection cannot carry another request.
  reply.header('Connection', 'close');
  // statusCode: Fastify's body reader keeps a status of 400 or more it finds on the error.
  return Object.assign(new AppError('request_timeout', `${what} within ${timeoutMs / 1000} s.`), { statusCode: 408 });
}

/**
 * Image data passes through this stream, which fails with a 408 when no byte came for `timeoutMs`.
 * The upload sees the error, puts the image back to queued and answers it in the Glance dialect.
 */
function stallGuard(payload: Readable, timeoutMs: number, reply: FastifyReply): Readable {
  const guarded = new PassThrough();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => guarded.destroy(bodyTimeout(timeoutMs, reply, 'No image data was received')), timeoutMs);
    timer.unref();
  };
  arm();
  payload.on('data', arm);
  payload.once('end', () => clearTimeout(timer));
  payload.once('error', (err) => { clearTimeout(timer); guarded.destroy(err); });
  guarded.once('close', () => clearTimeout(timer));
  return payload.pipe(guarded);
}

/**
 * HTTP timeouts, so that no client holds a connection (or an image upload) open for ever:
 * headers must arrive within `timeoutMs` (Node's `headersTimeout`, set with the server); a request body
 * within `timeoutMs` of its headers; streamed image data may pause at most `timeoutMs`. Else 408 in the
 * route's dialect, and the connection is closed.
 */
export function registerRequestTimeouts(app: FastifyInstance, timeoutMs: number): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const raw = request.raw;
    if (raw.complete || (raw.headers['content-length'] === undefined && raw.headers['transfer-encoding'] === undefined)) {
      return payload;
    }
    if (streamed(request)) return stallGuard(payload, timeoutMs, reply);
    // No stream in between (this is every API call with a body): a timer, cleared once the body is in.
    const timer = setTimeout(() => {
      if (raw.complete) return;
      // The body reader fails the request with the 408; a body nobody reads (answered already) just ends.
      if (!reply.sent && payload.listenerCount('error') > 0) {
        payload.emit('error', bodyTimeout(timeoutMs, reply, 'The request body was not received'));
      } else {
        raw.destroy();
      }
    }, timeoutMs);
    // A timer never keeps the process up (nor a test of injected requests, which end without events).
    timer.unref();
    payload.once('end', () => clearTimeout(timer));
    payload.once('close', () => clearTimeout(timer));
    return payload;
  });
}
