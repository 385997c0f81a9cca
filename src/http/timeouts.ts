import type { IncomingMessage } from 'node:http';
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

/** An API body being received, and when it must be in. */
interface Pending {
  reply: FastifyReply;
  deadline: number;
}

/**
 * HTTP timeouts, so that no client holds a connection (or an image upload) open for ever:
 * headers must arrive within `timeoutMs` (Node's `headersTimeout`, set with the server); a request body
 * within `timeoutMs` of its headers; streamed image data may pause at most `timeoutMs`. Else 408 in the
 * route's dialect, and the connection is closed.
 *
 * API bodies are not given a timer each: they go into one set, which they leave when their last byte is
 * read, and which a sweep looks through every quarter of the timeout (at most a second).
 */
export function registerRequestTimeouts(app: FastifyInstance, timeoutMs: number): void {
  const pending = new Map<IncomingMessage, Pending>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const [raw, entry] of pending) {
      const { reply } = entry;
      if (raw.complete || raw.destroyed) pending.delete(raw);
      else if (entry.deadline <= now) {
        pending.delete(raw);
        // The body reader fails the request with the 408; a body nobody reads (answered already) just ends.
        if (!reply.sent && raw.listenerCount('error') > 0) {
          raw.emit('error', bodyTimeout(timeoutMs, reply, 'The request body was not received'));
        } else {
          raw.destroy();
        }
      }
    }
    if (pending.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  // Registered when the headers are in, so that a request answered before its body is read (refused by
  // authentication, say) has its connection ended too when the rest of the body does not come.
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    if (!raw.complete && (raw.headers['content-length'] !== undefined || raw.headers['transfer-encoding'] !== undefined)) {
      pending.set(raw, { reply, deadline: Date.now() + timeoutMs });
      // Out of the set as soon as the body is in: held on to until the next sweep, every request's objects
      // would outlive a young-generation collection (measured: GC 3 % -> 12 % of a member add).
      raw.once('end', () => pending.delete(raw));
      if (sweeper === undefined) {
        sweeper = setInterval(sweep, Math.min(1000, timeoutMs / 4));
        // Never what keeps the process up (nor a test of injected requests, which end without events).
        sweeper.unref();
      }
    }
    done();
  });
  // Image data, once its route reads it, may take as long as it needs while it does not stall.
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (!streamed(request) || !pending.delete(request.raw)) done(null, payload);
    else done(null, stallGuard(payload, timeoutMs, reply));
  });
  app.addHook('onClose', async () => clearInterval(sweeper));
}
