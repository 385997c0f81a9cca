import type { LightMyRequestResponse } from 'fastify';
import { sign } from '../../src/auth/aksk.js';
import { BOOTSTRAP, type TestApp } from './app.js';

export const HOST = 'ims.test:9292';
export const DEMO_KEY = BOOTSTRAP.access_keys[0]!;

export interface SignedOptions {
  /** The raw query string sent (and signed as the verifier re-canonicalises it). */
  query?: string;
  /** The exact body bytes (a JSON value is sent as JSON.stringify gives it, as the Huawei SDK sends it). */
  body?: unknown;
  /** Default application/json; any other type is signed UNSIGNED-PAYLOAD, as the Huawei SDK does. */
  contentType?: string;
  projectId?: string;
  /** Further headers to sign and send (an explicit X-Sdk-Content-Sha256, say). */
  headers?: Record<string, string>;
  key?: { access: string; secret: string };
  date?: Date;
  /** Sent instead of the signed body. */
  sent?: string | Buffer;
}

/** A request signed the way the Huawei node SDK signs it (src/auth/aksk.ts `sign`), sent to the app. */
export function signed(t: TestApp, method: string, path: string, o: SignedOptions = {}): Promise<LightMyRequestResponse> {
  const body = o.body === undefined ? undefined
    : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body as string | Buffer : JSON.stringify(o.body);
  const key = o.key ?? DEMO_KEY;
  const s = sign({ method, host: HOST, path, query: o.query, body, contentType: o.contentType, projectId: o.projectId,
    headers: o.headers, ak: key.access, sk: key.secret, date: o.date ?? t.container.clock.now() });
  const sent = o.sent ?? body;
  return t.app.inject({ method: method as 'GET', url: s.query ? `${path}?${s.query}` : path,
    headers: { ...s.headers, host: HOST, accept: 'application/json' }, ...(sent === undefined ? {} : { payload: sent }) });
}
