import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import querystring from 'node:querystring';
import { hasControl } from '../domain/control.js';

/**
 * Huawei Cloud API-gateway AK/SK request signing (`SDK-HMAC-SHA256`), as the official node and Go SDKs compute it,
 * and the server-side check of such a signature. Pure functions: no I/O, the clock is passed in.
 * Sources: Huawei's "API Request Signing Guide", huaweicloud-sdk-nodejs-v3 `core/auth/AKSKSigner.ts`,
 * huaweicloud-sdk-go-v3 `core/auth/signer/signer.go`; how to sign by hand: docs/api.md.
 */

export const ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Largest accepted difference between X-Sdk-Date and the server clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The `reason` of a refused signature: the text after "Incorrect IAM authentication information: ". */
export const AKSK_REASONS = {
  missing: 'x-auth-token not found',
  signature: 'verify aksk signature fail',
  expired: 'signature expired',
  unknownAccess: (access: string) => `ak ${access.length > 64 ? `${access.slice(0, 64)}...` : access} not exist`,
} as const;

const AUTHORIZATION_RE =
  /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]{64})$/;
const SDK_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const UNRESERVED_RE = /^[A-Za-z0-9\-_.~]*$/;
const HEX64_RE = /^[0-9a-fA-F]{64}$/;
const MAX_ACCESS_LENGTH = 128;

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => `%${i.toString(16).toUpperCase().padStart(2, '0')}`);
const isUnreserved = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)
  || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e;

/** Percent-encodes everything outside the RFC 3986 unreserved set (`A-Z a-z 0-9 - _ . ~`), UTF-8, upper-case hex. */
export function uriEncode(value: string): string {
  if (UNRESERVED_RE.test(value)) return value;
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) out += isUnreserved(b) ? String.fromCharCode(b) : HEX_BYTE[b];
  return out;
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The instant of a `YYYYMMDDTHHMMSSZ` value, or undefined when it is not one (including impossible dates). */
export function parseSdkDate(value: string): Date | undefined {
  const m = SDK_DATE_RE.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return formatSdkDate(date) === value ? date : undefined;
}

/** Each path segment encoded with the unreserved set, joined, with a trailing `/` appended if missing. */
export function canonicalUri(path: string): string {
  const encoded = path.split('/').map(uriEncode).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

export type QueryScalar = string | number | boolean;
export type QueryParams = Readonly<Record<string, QueryScalar | readonly QueryScalar[] | null | undefined>>;

const byNameThenValue = (a: readonly [string, string], b: readonly [string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

function canonicalPairs(pairs: [string, string][]): string {
  return pairs.sort(byNameThenValue).map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
}

/** What a client signs for its query parameters: names sorted, array values sorted, one `k=v` each; null/undefined omitted. */
export function canonicalQueryFromParams(params: QueryParams = {}): string {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, String(v)]);
  }
  return canonicalPairs(pairs);
}

/** `+` is a space, `%XX` an octet; malformed escapes are kept literally (Node's querystring behaviour). */
const formDecode = (s: string) => querystring.unescape(s.includes('+') ? s.replace(/\+/g, ' ') : s);

/**
 * The canonical form of a query string as received on the wire: split on `&` and at the first `=`, form-decoded,
 * sorted by (name, value), re-encoded with the unreserved set. Empty parts are ignored; `k` alone means `k=`.
 */
export function canonicalQueryFromRaw(raw: string): string {
  const pairs: [string, string][] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push(eq < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
  }
  return canonicalPairs(pairs);
}

export type HeaderValue = string | readonly string[];

/**
 * One `name:value\n` line per signed header, in the order given; values trimmed; repeated values sorted, one line each.
 * Throws when a signed header has no value (the verifier checks this before).
 */
export function canonicalHeaders(signedHeaders: readonly string[], headers: Readonly<Record<string, HeaderValue | undefined>>)
  : string {
  let out = '';
  for (const name of signedHeaders) {
    const value = headers[name];
    if (value === undefined) throw new TypeError(`signed header ${name} has no value`);
    const values = typeof value === 'string' ? [value] : [...value].sort();
    for (const v of values) out += `${name}:${v.trim()}\n`;
  }
  return out;
}

export interface CanonicalParts {
  method: string;
  /** The URL path as sent (still percent-encoded), without the query. */
  path: string;
  /** An already canonical query string (canonicalQueryFromParams / canonicalQueryFromRaw). */
  canonicalQuery: string;
  /** Header values by lower-case name. */
  headers: Readonly<Record<string, HeaderValue | undefined>>;
  /** Lower-case header names in signing order. */
  signedHeaders: readonly string[];
  /** Hex SHA-256 of the body, or the X-Sdk-Content-Sha256 value. */
  payloadHash: string;
}

/** `METHOD\nURI\nQUERY\nHEADERS(each ending \n)\nSIGNED;HEADERS\nPAYLOAD_HASH`. */
export function canonicalRequest(p: CanonicalParts): string {
  return [p.method, canonicalUri(p.path), p.canonicalQuery, canonicalHeaders(p.signedHeaders, p.headers),
    p.signedHeaders.join(';'), p.payloadHash].join('\n');
}

/** `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256 of the canonical request>`. */
export function stringToSign(sdkDate: string, canonical: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

/** Hex HMAC-SHA256 keyed with the secret key's UTF-8 bytes; no key derivation. */
export function signature(secretKey: string, toSign: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(toSign).digest('hex');
}

export function authorizationHeader(access: string, signedHeaders: readonly string[], sig: string): string {
  return `${ALGORITHM} Access=${access}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`;
}

export interface SignInput {
  method: string;
  /** Host as the server will receive it: host name plus `:port` when not the scheme's default. */
  host: string;
  /** URL path as sent (already percent-encoded where needed), without the query. */
  path: string;
  /** Query parameters (serialised for the wire with querystring.stringify, as the node SDK does), or a raw query string. */
  query?: QueryParams | string;
  /** Exact body bytes or text (UTF-8); absent or empty = no body. */
  body?: string | Uint8Array;
  /**
   * Content-Type to send and sign; default `application/json`. Like the node SDK, any type containing
   * `application/json` is sent as exactly `application/json`; null sends none.
   */
  contentType?: string | null;
  /** Sent and signed as X-Project-Id. */
  projectId?: string;
  /** Sent and signed as X-Security-Token (temporary credentials). */
  securityToken?: string;
  /** Further headers to send and sign (names case-insensitive). */
  headers?: Readonly<Record<string, string>>;
  ak: string;
  sk: string;
  /** Signing time; becomes X-Sdk-Date. */
  date: Date;
}

export interface SignResult {
  /** The Authorization header value. */
  authorization: string;
  /** Every header to send, signed ones and Authorization (host included: fetch derives the same value from the URL). */
  headers: Record<string, string>;
  signedHeaders: string[];
  /** Wire form of the query, without `?` (querystring.stringify of the params, or the raw string as given). */
  query: string;
  sdkDate: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/**
 * What the node SDK (`AKSKSigner.sign` behind `BasicCredentials.processAuthRequest`) does to a request: adds
 * X-Project-Id / X-Security-Token / X-Sdk-Content-Sha256 (UNSIGNED-PAYLOAD for non-JSON content) / X-Sdk-Date / host,
 * signs every header present, and returns the headers to send.
 */
export function sign(input: SignInput): SignResult {
  const sdkDate = formatSdkDate(input.date);
  const send: Record<string, string> = {};
  let contentType = input.contentType === undefined ? 'application/json' : input.contentType;
  if (contentType !== null && contentType.includes('application/json')) contentType = 'application/json';
  if (contentType !== null) send['content-type'] = contentType;
  if (input.projectId) send['X-Project-Id'] = input.projectId;
  if (input.securityToken) send['X-Security-Token'] = input.securityToken;
  if (contentType !== 'application/json') send['X-Sdk-Content-Sha256'] = UNSIGNED_PAYLOAD;
  for (const [name, value] of Object.entries(input.headers ?? {})) send[name] = value;
  send['X-Sdk-Date'] = sdkDate;
  send.host = input.host;

  const byName: Record<string, string> = {};
  for (const [name, value] of Object.entries(send)) byName[name.toLowerCase()] = value;
  const signedHeaders = Object.keys(byName).sort();

  let canonicalQuery: string;
  let query: string;
  if (typeof input.query === 'string') {
    query = input.query.startsWith('?') ? input.query.slice(1) : input.query;
    canonicalQuery = canonicalQueryFromRaw(query);
  } else {
    const params: Record<string, QueryScalar | QueryScalar[]> = {};
    for (const [k, v] of Object.entries(input.query ?? {})) {
      if (v !== undefined && v !== null) params[k] = Array.isArray(v) ? [...v] : v as QueryScalar;
    }
    query = querystring.stringify(params);
    canonicalQuery = canonicalQueryFromParams(params);
  }

  const body = input.body ?? '';
  const payloadHash = byName['x-sdk-content-sha256'] ?? (body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(body));
  const creq = canonicalRequest({
    method: input.method, path: input.path, canonicalQuery, headers: byName, signedHeaders, payloadHash,
  });
  const sts = stringToSign(sdkDate, creq);
  const sig = signature(input.sk, sts);
  const authorization = authorizationHeader(input.ak, signedHeaders, sig);
  return {
    authorization, headers: { ...send, Authorization: authorization }, signedHeaders, query, sdkDate,
    canonicalRequest: creq, stringToSign: sts, signature: sig,
  };
}

export interface ParsedAuthorization {
  access: string;
  signedHeaders: string[];
  /** Lower-case hex. */
  signature: string;
}

/** The three parts of an `SDK-HMAC-SHA256` Authorization value, or undefined when it is not well formed. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const m = AUTHORIZATION_RE.exec(value.trim());
  if (!m) return undefined;
  const [, access, list, sig] = m as unknown as [string, string, string, string];
  // Access keys are looked up: a control character (NUL: PostgreSQL's text cannot hold one) never names one.
  if (access.length > MAX_ACCESS_LENGTH || hasControl(access)) return undefined;
  const signedHeaders = list.split(';');
  if (signedHeaders.some((h) => !HEADER_NAME_RE.test(h)) || new Set(signedHeaders).size !== signedHeaders.length) {
    return undefined;
  }
  return { access, signedHeaders, signature: sig.toLowerCase() };
}

/** A request as the server received it. */
export interface ReceivedRequest {
  method: string;
  /** The request target exactly as received: raw path plus optional `?query` (Node's `req.url`). */
  url: string;
  /** Header values by lower-case name (Node's IncomingHttpHeaders). */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Exact body bytes; undefined or empty when there is none. */
  body?: string | Uint8Array;
  /**
   * The body is streamed to its route, not read before the check (image data): its hash can only be the declared
   * X-Sdk-Content-Sha256, `UNSIGNED-PAYLOAD` or a hex hash the route then checks the bytes against as they arrive.
   * Without one the signature cannot be checked before the body is read, and is refused.
   */
  streamed?: boolean;
}

/** The secret key of an access key, or undefined when the access key does not exist. */
export type SecretLookup = (access: string) => string | undefined | Promise<string | undefined>;

export interface VerifyOptions {
  now: Date;
  /** Default MAX_CLOCK_SKEW_MS. */
  maxSkewMs?: number;
}

export type VerifyResult =
  | { ok: true; access: string; signedHeaders: string[]; date: Date; payloadSigned: boolean }
  /** `reason` is the APIGW text (see AKSK_REASONS); `detail` says what exactly failed, for logs only. */
  | { ok: false; reason: string; detail: string };

const fail = (reason: string, detail: string): VerifyResult => ({ ok: false, reason, detail });

function splitTarget(url: string): { path: string; query: string } {
  let target = url;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (scheme) target = target.slice(scheme[0].length) || '/';
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

function singleHeader(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * What can be checked of a signature before the body is read (and without the secret): the Authorization
 * header's form, a signed X-Sdk-Date within the skew window, and every signed header present.
 */
export function checkSignatureHeaders(headers: ReceivedRequest['headers'], options: VerifyOptions)
  : { ok: true; auth: NonNullable<ReturnType<typeof parseAuthorization>>; sdkDate: string; date: Date }
  | { ok: false; reason: string; detail: string } {
  const header = singleHeader(headers, 'authorization');
  if (header === undefined || header === '') return { ok: false, reason: AKSK_REASONS.missing, detail: 'no Authorization header' };
  const auth = parseAuthorization(header);
  const refuse = (detail: string, reason: string = AKSK_REASONS.signature) => ({ ok: false as const, reason, detail });
  if (!auth) return refuse('malformed Authorization header');
  if (!auth.signedHeaders.includes('x-sdk-date')) return refuse('x-sdk-date is not signed');
  const sdkDate = singleHeader(headers, 'x-sdk-date')?.trim();
  if (sdkDate === undefined) return refuse('no X-Sdk-Date header');
  const date = parseSdkDate(sdkDate);
  if (!date) return refuse(`malformed X-Sdk-Date ${JSON.stringify(sdkDate)}`);
  const skew = Math.abs(options.now.getTime() - date.getTime());
  if (skew > (options.maxSkewMs ?? MAX_CLOCK_SKEW_MS)) {
    return refuse(`signature time ${sdkDate}, server time ${formatSdkDate(options.now)}`, AKSK_REASONS.expired);
  }
  for (const name of auth.signedHeaders) {
    if (headers[name] === undefined) return refuse(`signed header ${name} is missing`);
  }
  return { ok: true, auth, sdkDate, date };
}

/**
 * The API gateway's check of an `SDK-HMAC-SHA256` signature (as Huawei's API gateway verifies it): the SignedHeaders
 * list is taken from the request (the Go SDK does not sign content-type), x-sdk-date must be signed and within
 * the skew window, the query is re-canonicalised from the wire, and the signature is compared in constant time.
 */
export async function verifySignature(req: ReceivedRequest, lookupSecret: SecretLookup, options: VerifyOptions)
  : Promise<VerifyResult> {
  const headers = checkSignatureHeaders(req.headers, options);
  if (!headers.ok) return headers;
  const { auth, sdkDate, date } = headers;

  const body = req.body ?? '';
  let payloadHash: string;
  const declared = singleHeader(req.headers, 'x-sdk-content-sha256')?.trim();
  if (declared === undefined) {
    if (req.streamed) return fail(AKSK_REASONS.signature, 'a streamed body without X-Sdk-Content-Sha256');
    payloadHash = body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(body);
  } else if (declared === UNSIGNED_PAYLOAD) {
    payloadHash = declared;
  } else if (HEX64_RE.test(declared) && (req.streamed || declared.toLowerCase() === sha256Hex(body))) {
    payloadHash = declared;
  } else {
    return fail(AKSK_REASONS.signature, 'X-Sdk-Content-Sha256 does not match the body');
  }

  const secret = await lookupSecret(auth.access);
  if (secret === undefined) return fail(AKSK_REASONS.unknownAccess(auth.access), 'unknown access key');

  const { path, query } = splitTarget(req.url);
  const creq = canonicalRequest({
    method: req.method, path, canonicalQuery: canonicalQueryFromRaw(query), headers: req.headers,
    signedHeaders: auth.signedHeaders, payloadHash,
  });
  const expected = Buffer.from(signature(secret, stringToSign(sdkDate, creq)), 'utf8');
  if (!timingSafeEqual(expected, Buffer.from(auth.signature, 'utf8'))) {
    return fail(AKSK_REASONS.signature, 'signature mismatch');
  }
  return { ok: true, access: auth.access, signedHeaders: auth.signedHeaders, date,
    payloadSigned: payloadHash !== UNSIGNED_PAYLOAD };
}
