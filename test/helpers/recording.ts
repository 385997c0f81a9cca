import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';

/** What test/process/cache-off.test.ts compares: one JSON line a response, in files the two runs write. */
export interface Recorded {
  /** The suite file, the test's full name, and which app of the file's process answered. */
  where: string;
  /** The request's place among the app's requests, in the order they were made. */
  seq: number;
  method: string;
  url: string;
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** A (method, route pattern, status) an app answered, and how often: what test/http/openapi-coverage.test.ts checks. */
export interface RouteStatus {
  method: string;
  route: string;
  status: number;
  count: number;
}

/** Where the recorder writes the RouteStatus lines of the responses it records to `file`. */
export const routesFile = (file: string) => `${file}.routes`;

/** Headers that say nothing about the answer, or only restate the body's length. */
const UNCOMPARED = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
/** Longer bodies (image data) are recorded as a digest. */
const MAX_BODY = 64 * 1024;

let apps = 0;

/**
 * What appends each response an app's `inject` gives to `file` (test/process/cache-off.test.ts sets it). Made
 * as the app starts being built, so that apps a test builds at once are numbered in the order asked for. As the
 * app closes, what it answered by route pattern (its GET /metrics: requests over sockets too) goes to
 * `routesFile(file)`.
 */
export function responseRecorder(file: string, test: string): (app: FastifyInstance) => void {
  const where = `${path.basename(process.argv[1] ?? '')} > ${test} > app ${apps++}`;
  return (app) => {
    const inject = app.inject.bind(app) as (options: InjectOptions | string) => ReturnType<FastifyInstance['inject']>;
    let seq = 0;
    app.inject = (async (options: InjectOptions | string) => {
      const request = typeof options === 'string' ? { url: options, method: 'GET' } : options;
      const n = seq++;
      const res = await inject(options);
      const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => !UNCOMPARED.has(k)));
      const body = res.rawPayload.length > MAX_BODY
        ? `sha256 ${createHash('sha256').update(res.rawPayload).digest('hex')}` : res.body;
      const line: Recorded = { where, seq: n, method: String(request.method ?? 'GET'), url: String(request.url),
        status: res.statusCode, headers, body };
      fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
      return res;
    }) as FastifyInstance['inject'];
    const close = app.close.bind(app) as () => Promise<undefined>;
    let closed = false;
    app.close = (async () => {
      if (!closed) {
        closed = true;
        const scrape = await inject({ url: '/metrics' });
        fs.appendFileSync(routesFile(file), routeStatuses(scrape.body).map((r) => `${JSON.stringify(r)}\n`).join(''));
      }
      return close();
    }) as FastifyInstance['close'];
  };
}

/** The `ims_http_requests_total` samples of a scrape. */
function routeStatuses(scrape: string): RouteStatus[] {
  const found: RouteStatus[] = [];
  for (const m of scrape.matchAll(/^ims_http_requests_total\{(.*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    found.push({ method: labels.method!, route: labels.route!, status: Number(labels.status), count: Number(m[2]) });
  }
  return found;
}
