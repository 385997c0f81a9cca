import querystring from 'node:querystring';
import { setTimeout as sleep } from 'node:timers/promises';
import { type QueryParams, sign } from '../auth/aksk.js';
import type { Job, JobResult } from './wire-types.js';

/**
 * A small typed client for the IMS sharing API and the Glance member calls (Node 20 global fetch), used by tests,
 * benchmarks and docs. With AK/SK it sends what the Huawei node SDK sends: `content-type: application/json` on every
 * call, X-Project-Id when a project is configured, an `SDK-HMAC-SHA256` signature; with a token, X-Auth-Token.
 */

export type ImsAuth =
  | { token: string }
  | { ak: string; sk: string; projectId?: string; securityToken?: string };

export interface ImsClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:9292` (a path prefix is kept). */
  endpoint: string;
  /** None: anonymous calls only (a Keystone login). */
  auth?: ImsAuth;
  /** Clock used for X-Sdk-Date and waitForJob's deadline; default the system clock. */
  now?: () => Date;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
}

export type MemberStatus = 'pending' | 'accepted' | 'rejected';

export interface ImageMember {
  status: MemberStatus;
  created_at: string;
  updated_at: string;
  image_id: string;
  member_id: string;
  schema: string;
  member_type?: 'project' | 'domain' | 'organization';
  urn?: string;
}

export interface MemberList {
  members: ImageMember[];
  schema: string;
  page_info?: { next_marker?: string; current_count?: number };
}

export type { Job, JobResult };

/** A Glance image body (`GET /v2/images/{image_id}`): the fields any image has, and its extra properties. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  size: number | null;
  disk_format: string | null;
  container_format: string | null;
  checksum: string | null;
  created_at: string;
  updated_at: string;
  [property: string]: unknown;
}

export interface BatchMembersBody {
  images: string[];
  projects?: string[];
  domains?: string[];
  organizations?: string[];
}

export interface BatchUpdateMembersBody {
  images: string[];
  project_id: string;
  status: 'accepted' | 'rejected';
  vault_id?: string;
}

export interface Paging {
  limit?: number;
  marker?: string;
}

export interface SendOptions {
  query?: QueryParams;
  /** JSON text, bytes, or chunks to stream (then `contentType` should not be JSON). */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Default `application/json`. */
  contentType?: string;
  /** Further headers (signed too with AK/SK). */
  headers?: Record<string, string>;
  /** The answer's body is streamed (a download): no overall timeout. */
  streamAnswer?: boolean;
  signal?: AbortSignal;
}

export interface ImsResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A non-2xx answer: status, the `IMG.xxxx` / `APIGW.xxxx` code when the body has one, and its message. */
export class ImsClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly requestId: string | undefined,
    /** The parsed JSON body, or the text when it is not JSON. */
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ImsClientError';
  }
}

/** waitForJob's failure: the job ended in FAIL (or an unknown status), or did not finish in time. */
export class ImsJobError extends Error {
  constructor(readonly reason: 'failed' | 'timeout', message: string, readonly job: Job | undefined) {
    super(message);
    this.name = 'ImsJobError';
  }
}

const CODE_RE = /^[A-Z]+\.\d+$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const seg = encodeURIComponent;

/** Reads the IMS body `{"error":{"code","message"}}`, the gateway body `{"error_code","error_msg"}`, or Glance's. */
function errorFrom(status: number, headers: Headers, text: string): ImsClientError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  let code: string | undefined;
  let message: string | undefined;
  let requestId = headers.get('x-request-id') ?? undefined;
  if (isObject(body)) {
    const error = isObject(body.error) ? body.error : undefined;
    code = str(error?.code) ?? str(body.error_code);
    message = str(error?.message) ?? str(body.error_msg) ?? str(body.message)?.replace(/(<br \/>)+\s*$/, '');
    requestId ??= str(body.request_id);
  }
  if (code !== undefined && !CODE_RE.test(code)) code = undefined;
  return new ImsClientError(status, code, message ?? (text.trim() || `HTTP ${status}`), requestId, body);
}

export class ImsClient {
  private readonly base: URL;
  private readonly basePath: string;

  private readonly now: () => Date;

  constructor(private readonly options: ImsClientOptions) {
    this.now = options.now ?? (() => new Date());
    this.base = new URL(options.endpoint);
    this.basePath = this.base.pathname.replace(/\/+$/, '');
  }

  /** `POST /v1/cloudimages/members` (owner): share images; answers a job. */
  batchAddMembers(body: BatchMembersBody): Promise<{ job_id: string }> {
    return this.call('POST', '/v1/cloudimages/members', { body: members(body) });
  }

  /** `PUT /v1/cloudimages/members` (recipient): accept or reject; answers a job. */
  batchUpdateMembers(body: BatchUpdateMembersBody): Promise<{ job_id: string }> {
    const { images, project_id, status, vault_id } = body;
    return this.call('PUT', '/v1/cloudimages/members', { body: { images, project_id, status, vault_id } });
  }

  /** `DELETE /v1/cloudimages/members` with a JSON body (owner): stop sharing; answers a job. */
  batchDeleteMembers(body: BatchMembersBody): Promise<{ job_id: string }> {
    return this.call('DELETE', '/v1/cloudimages/members', { body: members(body) });
  }

  /** `GET /v1/{project_id}/jobs/{job_id}`. */
  showJob(projectId: string, jobId: string): Promise<Job> {
    return this.call('GET', `/v1/${seg(projectId)}/jobs/${seg(jobId)}`);
  }

  /** `GET /v1/cloudimages/job/{job_id}`. */
  showJobProgress(jobId: string): Promise<Job> {
    return this.call('GET', `/v1/cloudimages/job/${seg(jobId)}`);
  }

  /**
   * Polls the job until SUCCESS (resolves the job); FAIL, an unknown status or the timeout reject with ImsJobError.
   * Without a project it polls `GET /v1/cloudimages/job/{job_id}`. `onPoll` sees every answer, the last included.
   */
  async waitForJob(projectId: string | undefined, jobId: string,
    opts: { timeoutMs?: number; intervalMs?: number; onPoll?: (job: Job) => void } = {}): Promise<Job> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const intervalMs = opts.intervalMs ?? 500;
    const now = () => this.now().getTime();
    const deadline = now() + timeoutMs;
    for (;;) {
      const job = projectId === undefined ? await this.showJobProgress(jobId) : await this.showJob(projectId, jobId);
      opts.onPoll?.(job);
      if (job.status === 'SUCCESS') return job;
      if (job.status !== 'INIT' && job.status !== 'RUNNING') {
        throw new ImsJobError('failed', `job ${jobId} ended ${job.status}: ${job.error_code ?? ''} ${job.fail_reason ?? ''}`
          .trim(), job);
      }
      if (now() + intervalMs > deadline) {
        throw new ImsJobError('timeout', `job ${jobId} still ${job.status} after ${timeoutMs} ms`, job);
      }
      await sleep(intervalMs);
    }
  }

  /** `POST /v2/images`: a queued image (Glance's create body: name, disk_format, container_format, ...). */
  createImage(body: Record<string, unknown>): Promise<GlanceImage> {
    return this.call('POST', '/v2/images', { body });
  }

  /** `GET /v2/images/{image_id}`. */
  showImage(imageId: string): Promise<GlanceImage> {
    return this.call('GET', `/v2/images/${seg(imageId)}`);
  }

  /** `GET /v2/images` one page: filters, `limit`, `marker`; `next` links the page after. */
  listGlanceImages(query: QueryParams = {}): Promise<{ images: GlanceImage[]; next?: string }> {
    return this.call('GET', '/v2/images', { query });
  }

  /** `DELETE /v2/images/{image_id}` (204). */
  async deleteImage(imageId: string): Promise<void> {
    await this.request('DELETE', `/v2/images/${seg(imageId)}`);
  }

  /** `PUT /v2/images/{image_id}/file`: streams `data` (204); the image becomes active. */
  async uploadImageData(imageId: string, data: AsyncIterable<Uint8Array> | Uint8Array, size?: number): Promise<void> {
    await this.send('PUT', `/v2/images/${seg(imageId)}/file`, {
      body: data, contentType: 'application/octet-stream',
      headers: size === undefined ? undefined : { 'content-length': String(size) },
    });
  }

  /** `GET /v2/images/{image_id}/file`: the answer, its body the image data (Content-Length, Content-MD5 when known). */
  downloadImageData(imageId: string): Promise<Response> {
    return this.send('GET', `/v2/images/${seg(imageId)}/file`, { headers: { Accept: 'application/octet-stream' },
      streamAnswer: true });
  }

  /** `GET /v1/{project_id}/cloudimages/{image_id}/members?limit&marker`. */
  listImageMembers(projectId: string, imageId: string, paging: Paging = {}): Promise<MemberList> {
    return this.call('GET', `/v1/${seg(projectId)}/cloudimages/${seg(imageId)}/members`, { query: { ...paging } });
  }

  /** `GET /v1/{project_id}/cloudimages/{image_id}/members/{member_id}`. */
  showImageMember(projectId: string, imageId: string, memberId: string): Promise<ImageMember> {
    return this.call('GET', `/v1/${seg(projectId)}/cloudimages/${seg(imageId)}/members/${seg(memberId)}`);
  }

  /** `GET /v2/cloudimages` with filters such as `__imagetype`, `visibility`, `member_status`, `owner`. */
  listImages(query: QueryParams = {}): Promise<{ images: Record<string, unknown>[] }> {
    return this.call('GET', '/v2/cloudimages', { query });
  }

  /** `POST /v2/images/{image_id}/members` `{"member": ...}`. */
  glanceAddMember(imageId: string, member: string): Promise<ImageMember> {
    return this.call('POST', `/v2/images/${seg(imageId)}/members`, { body: { member } });
  }

  /** `PUT /v2/images/{image_id}/members/{member_id}` `{"status"[, "vault_id"]}`. */
  glanceUpdateMember(imageId: string, memberId: string, body: { status: MemberStatus; vault_id?: string })
    : Promise<ImageMember> {
    const { status, vault_id } = body;
    return this.call('PUT', `/v2/images/${seg(imageId)}/members/${seg(memberId)}`, { body: { status, vault_id } });
  }

  /** `DELETE /v2/images/{image_id}/members/{member_id}` (204). */
  async glanceDeleteMember(imageId: string, memberId: string): Promise<void> {
    await this.request('DELETE', `/v2/images/${seg(imageId)}/members/${seg(memberId)}`);
  }

  /** `GET /v2/images/{image_id}/members[?limit&marker]`. */
  glanceListMembers(imageId: string, paging: Paging = {}): Promise<MemberList> {
    return this.call('GET', `/v2/images/${seg(imageId)}/members`, { query: { ...paging } });
  }

  /** `GET /v2/images/{image_id}/members/{member_id}`. */
  glanceShowMember(imageId: string, memberId: string): Promise<ImageMember> {
    return this.call('GET', `/v2/images/${seg(imageId)}/members/${seg(memberId)}`);
  }

  /**
   * Any call: signs (or adds the token), sends, and returns status, headers and the parsed JSON body
   * (undefined when empty). Non-2xx answers reject with ImsClientError.
   */
  async request<T = unknown>(method: string, path: string, opts: { query?: QueryParams; body?: unknown } = {})
    : Promise<ImsResponse<T>> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const res = await this.send(method, path, { query: opts.query, body });
    const text = await res.text();
    let parsed: unknown;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ImsClientError(res.status, undefined, `response is not JSON: ${text.slice(0, 200)}`,
          res.headers.get('x-request-id') ?? undefined, text);
      }
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  /**
   * The raw exchange under every call: signs (or adds the token) and sends `body` as it is: JSON text, bytes,
   * or a stream of chunks (image data: sent unsigned, as the SDK sends non-JSON bodies). Resolves with the
   * response, its body unread, once the status is 2xx; else rejects with ImsClientError.
   */
  async send(method: string, path: string, opts: SendOptions = {}): Promise<Response> {
    const fullPath = `${this.basePath}${path}`;
    const contentType = opts.contentType ?? 'application/json';
    const headers: Record<string, string> = { ...opts.headers };
    const auth = this.options.auth;
    let query: string;
    if (auth === undefined || 'token' in auth) {
      query = querystring.stringify(withoutNulls(opts.query));
      headers['content-type'] = contentType;
      if (auth) headers['X-Auth-Token'] = auth.token;
    } else {
      const signed = sign({
        method, host: this.base.host, path: fullPath, query: opts.query ?? {}, contentType, headers: opts.headers,
        body: typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : undefined,
        projectId: auth.projectId, securityToken: auth.securityToken, ak: auth.ak, sk: auth.sk,
        date: this.now(),
      });
      query = signed.query;
      // fetch derives the same Host from the URL and does not let callers set it.
      for (const [name, value] of Object.entries(signed.headers)) if (name !== 'host') headers[name] = value;
    }
    headers.Accept ??= 'application/json';
    headers['User-Agent'] = this.options.userAgent ?? 'ims-client/0.1';

    const url = `${this.base.origin}${fullPath}${query ? `?${query}` : ''}`;
    const streamed = opts.body !== undefined && typeof opts.body !== 'string' && !(opts.body instanceof Uint8Array);
    // A stream may take as long as its bytes do: the timeout then bounds the wait for the answer's headers only.
    const res = await fetch(url, {
      method, headers, body: opts.body as BodyInit | undefined, signal: opts.signal
        ?? (streamed || opts.streamAnswer ? undefined : AbortSignal.timeout(this.options.timeoutMs ?? 30_000)),
      ...(streamed ? { duplex: 'half' } : {}),
    } as RequestInit);
    if (!res.ok) throw errorFrom(res.status, res.headers, await res.text());
    return res;
  }

  private async call<T>(method: string, path: string, opts: { query?: QueryParams; body?: unknown } = {}): Promise<T> {
    return (await this.request<T>(method, path, opts)).body;
  }
}

function members(body: BatchMembersBody): BatchMembersBody {
  const { images, projects, domains, organizations } = body;
  return { images, projects, domains, organizations };
}

function withoutNulls(query: QueryParams = {}): Record<string, string | number | boolean | readonly (string | number | boolean)[]> {
  const out: Record<string, string | number | boolean | readonly (string | number | boolean)[]> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}
