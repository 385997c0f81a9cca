import type { Job, JobResult } from '../../src/client/wire-types';
import type { Session } from './session';

/**
 * Where the APIs are: the server that sent this page, under the same path prefix as the console (`/ims` when a
 * proxy serves it at /ims/console/; none at the server's own /console/).
 */
const API_ROOT = location.pathname.replace(/\/console\/.*$/, '');

/** An answer the API refused: its status, its code (IMG.0001, 403, ...) and its own message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

/** The message of any dialect's error body: IMS/Keystone `error.message`, Huawei `error_msg`, Glance `message`. */
function errorOf(status: number, text: string): ApiError {
  let body: any;
  try { body = JSON.parse(text); } catch { body = undefined; }
  const message = body?.error?.message ?? body?.error_msg ?? body?.message ?? (text.trim() || `HTTP ${status}`);
  const code = body?.error?.code ?? body?.error_code ?? body?.code ?? status;
  return new ApiError(status, String(code), String(message).replace(/<br \/>/g, '').trim());
}

/** Announced when the server no longer takes the session's token (revoked, expired, its user disabled). */
export const SESSION_ENDED = 'ims-session-ended';

/**
 * A refusal of a signed-in call. After a 401 the token is checked (some Huawei APIs answer 401 for other reasons:
 * Organizations.1015, the account in no organization): if Keystone no longer takes it, the session ends.
 */
function refused(session: Session | undefined, status: number, text: string): ApiError {
  if (session && status === 401) {
    fetch(`${API_ROOT}/v3/auth/tokens`, { headers: { 'X-Auth-Token': session.token, 'X-Subject-Token': session.token } })
      .then((res) => { if (res.status === 401 || res.status === 404) dispatchEvent(new Event(SESSION_ENDED)); }, () => {});
  }
  return errorOf(status, text);
}

export interface Call {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One API call as the signed-in user. Throws ApiError with the API's message when refused. */
export async function call<T = any>(session: Session | undefined, path: string, c: Call = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...c.headers };
  if (session) headers['X-Auth-Token'] = session.token;
  let body: string | undefined;
  if (c.body !== undefined) {
    body = JSON.stringify(c.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(API_ROOT + path, { method: c.method ?? 'GET', headers, body });
  const text = await res.text();
  if (!res.ok) throw refused(session, res.status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface SignIn {
  domain: string;
  user: string;
  password: string;
  project: string;
  /** The project's domain, when it is not the user's. */
  projectDomain?: string;
}

/** Keystone password authentication scoped to a project: the token and who it is for. */
export async function signIn(f: SignIn): Promise<Session> {
  const res = await fetch(`${API_ROOT}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: f.user, domain: { name: f.domain }, password: f.password } } },
        scope: { project: { name: f.project, domain: { name: f.projectDomain || f.domain } } },
      },
    }),
  });
  const text = await res.text();
  if (!res.ok) throw errorOf(res.status, text);
  const { token } = JSON.parse(text);
  return {
    token: res.headers.get('X-Subject-Token') ?? '',
    expiresAt: token.expires_at,
    user: token.user,
    project: token.project,
    roles: token.roles.map((r: { name: string }) => r.name),
  };
}

/** Revokes the token (Keystone's DELETE /v3/auth/tokens). */
export async function signOut(session: Session): Promise<void> {
  await call(session, '/v3/auth/tokens', { method: 'DELETE', headers: { 'X-Subject-Token': session.token } });
}

export interface Image {
  id: string;
  name: string | null;
  status: string;
  size: number | null;
  visibility: string;
  owner: string;
  created_at: string;
  disk_format: string | null;
  container_format: string | null;
  __whole_image?: string;
  __backup_id?: string;
  [key: string]: unknown;
}

export interface Member {
  member_id: string;
  image_id: string;
  status: 'pending' | 'accepted' | 'rejected';
  created_at: string;
  updated_at: string;
}

export type MemberStatus = Member['status'];

/** One page of a listing and the marker of the next (undefined: the last page). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Images shared with the caller's project in one member status (IMS ListImages), one page of `limit`. */
export async function sharedPage(s: Session, status: MemberStatus, limit: number, marker?: string): Promise<Page<Image>> {
  const q = new URLSearchParams({ member_status: status, limit: String(limit) });
  if (marker) q.set('marker', marker);
  const { images } = await call<{ images: Image[] }>(s, `/v2/cloudimages?${q}`);
  return { items: images, next: images.length === limit ? images[images.length - 1]!.id : undefined };
}

/** The caller's project's own images (Glance), one page, newest first. */
export async function ownImagesPage(s: Session, limit: number, marker?: string): Promise<Page<Image>> {
  const q = new URLSearchParams({ owner: s.project.id, limit: String(limit) });
  if (marker) q.set('marker', marker);
  const body = await call<{ images: Image[]; next?: string }>(s, `/v2/images?${q}`);
  const next = body.next ? new URLSearchParams(body.next.split('?')[1]).get('marker') ?? undefined : undefined;
  return { items: body.images, next };
}

/** Every item of a listing, reading it page by page; `onPage` sees the items so far. */
export async function readAll<T>(page: (marker?: string) => Promise<Page<T>>, onPage?: (items: T[]) => void,
  signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    if (signal?.aborted) break;
    const p = await page(marker);
    items.push(...p.items);
    onPage?.(items.slice());
    marker = p.next;
  } while (marker);
  return items;
}

export const image = (s: Session, id: string) => call<Image>(s, `/v2/images/${id}`);
export const members = (s: Session, id: string) =>
  call<{ members: Member[] }>(s, `/v2/images/${id}/members`).then((b) => b.members);
/** One page of an image's members (Huawei's member paging on the Glance path: limit and a base64 marker). */
export async function membersPage(s: Session, id: string, limit: number, marker?: string): Promise<Page<Member>> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (marker) q.set('marker', marker);
  const body = await call<{ members: Member[]; page_info?: { next_marker: string } }>(s, `/v2/images/${id}/members?${q}`);
  return { items: body.members, next: body.page_info?.next_marker };
}
export const deleteImage = (s: Session, id: string) => call(s, `/v2/images/${id}`, { method: 'DELETE' });

export interface NewImage {
  name: string;
  disk_format: string;
  container_format: string;
  visibility: string;
}

export const createImage = (s: Session, body: NewImage) => call<Image>(s, '/v2/images', { method: 'POST', body });

/** Uploads the image's data, reporting bytes sent (fetch cannot report upload progress; XMLHttpRequest can). */
export function uploadImage(s: Session, id: string, file: Blob, onProgress: (sent: number, total: number) => void)
  : Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `${API_ROOT}/v2/images/${id}/file`);
    xhr.setRequestHeader('X-Auth-Token', s.token);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(refused(s, xhr.status, xhr.responseText)));
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: the connection to the server was lost.'));
    xhr.send(file);
  });
}

export type TargetKind = 'projects' | 'domains' | 'organizations';

/** BatchAddMembers / BatchDeleteMembers: every image with every target; the job's id. */
export const shareImages = (s: Session, images: string[], kind: TargetKind, targets: string[], remove = false) =>
  call<{ job_id: string }>(s, '/v1/cloudimages/members',
    { method: remove ? 'DELETE' : 'POST', body: { images, [kind]: targets } }).then((b) => b.job_id);

/** BatchUpdateMembers: the caller's project accepts or rejects images shared with it; the job's id. */
export const answerShares = (s: Session, images: string[], status: 'accepted' | 'rejected', vaultId?: string) =>
  call<{ job_id: string }>(s, '/v1/cloudimages/members', {
    method: 'PUT', body: { images, project_id: s.project.id, status, ...(vaultId ? { vault_id: vaultId } : {}) },
  }).then((b) => b.job_id);

export type { Job, JobResult };

export const job = (s: Session, id: string) => call<Job>(s, `/v1/${s.project.id}/jobs/${id}`);
export const finished = (j: Job) => j.status === 'SUCCESS' || j.status === 'FAIL';

/** Reads the job every `everyMs` until it ends, telling `onUpdate` each time; resolves with the ended job. */
export async function watchJob(s: Session, id: string, onUpdate: (j: Job) => void, signal?: AbortSignal,
  everyMs = 400): Promise<Job> {
  for (;;) {
    const j = await job(s, id);
    onUpdate(j);
    if (finished(j) || signal?.aborted) return j;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** ListJobs (an ims addition): the project's jobs, newest first, without their results. */
export interface JobSummary extends Omit<Job, 'entities'> {
  pairs: { total: number; done: number; failed: number };
}

export async function jobsPage(s: Session, limit: number, marker?: string): Promise<Page<JobSummary>> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (marker) q.set('marker', marker);
  const { jobs } = await call<{ jobs: JobSummary[] }>(s, `/v1/${s.project.id}/jobs?${q}`);
  return { items: jobs, next: jobs.length === limit ? jobs[jobs.length - 1]!.job_id : undefined };
}

/** Splits pasted ids: commas, semicolons, spaces and new lines separate them; each kept once. */
export const parseIds = (text: string) => [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
