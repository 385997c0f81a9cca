import type { LightMyRequestResponse } from 'fastify';
import { json, type TestApp } from './app.js';
import { namedUser, passwordAuth } from './keystone.js';

export const BASE = 'http://ims.test:9292';

/** A Keystone call of the test app: a method, a path, a token and a JSON body. */
export function call(t: TestApp, method: string, url: string, token?: string, payload?: unknown)
  : Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: method as 'GET', url,
    headers: { ...(token ? { 'x-auth-token': token } : {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
}

/** Logs in by name in Default (scoped to `project`, else the default project): the token, or the refusal's status. */
export async function loginAs(t: TestApp, name: string, password = 'secret', project?: string)
  : Promise<{ status: number; token: string; body: any }> {
  const res = await t.app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: passwordAuth(namedUser(name, password),
    project === undefined ? undefined : { project: { name: project, domain: { name: 'Default' } } }) });
  return { status: res.statusCode, token: String(res.headers['x-subject-token'] ?? ''), body: json(res) };
}

/** Whether the token works: the status of a Glance image list with it. */
export async function tokenStatus(t: TestApp, token: string): Promise<number> {
  return (await t.app.inject({ url: '/v2/images', headers: { 'x-auth-token': token, accept: 'application/json' } })).statusCode;
}

/** Keystone's project body. */
export const projectJson = (id: string, name: string, extra: { description?: string; enabled?: boolean; domain?: string } = {}) => ({
  id, name, domain_id: extra.domain ?? 'default', description: extra.description ?? '', enabled: extra.enabled ?? true,
  is_domain: false, parent_id: extra.domain ?? 'default', tags: [], options: {}, links: { self: `${BASE}/v3/projects/${id}` },
});

export const listLinks = (path: string) => ({ self: `${BASE}/v3/${path}`, previous: null, next: null });

export const denied = (rule: string) => ({ error: { code: 403, title: 'Forbidden',
  message: `You are not authorized to perform the requested action: identity:${rule}.` } });
