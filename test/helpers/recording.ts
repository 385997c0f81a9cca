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

/** Headers that say nothing about the answer, or only restate the body's length. */
const UNCOMPARED = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
/** Longer bodies (image data) are recorded as a digest. */
const MAX_BODY = 64 * 1024;

let apps = 0;

/**
 * What appends each response an app's `inject` gives to `file` (test/process/cache-off.test.ts sets it). Made
 * as the app starts being built, so that apps a test builds at once are numbered in the order asked for.
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
  };
}
