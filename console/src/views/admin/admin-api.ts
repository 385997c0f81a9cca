import { call, type Page } from '../../api';
import type { Session } from '../../session';

/** The admin APIs the Admin view uses: Keystone v3, Huawei IAM access keys, Huawei Organizations. */

export interface Domain { id: string; name: string; enabled: boolean }
export interface Project { id: string; name: string; domain_id: string; description: string; enabled: boolean }
export interface User {
  id: string; name: string; domain_id: string; enabled: boolean;
  default_project_id?: string; description?: string; email?: string;
}
export interface Role { id: string; name: string }

interface Named { id: string; name?: string; domain?: { id: string; name?: string } }
export interface Assignment { role: { id: string; name?: string }; user: Named; scope: { project: Named } }

const q = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString();
  return s ? `?${s}` : '';
};
const id = encodeURIComponent;

export const domains = (s: Session) => call<{ domains: Domain[] }>(s, '/v3/domains').then((b) => b.domains);

export const projects = (s: Session, domainId?: string) =>
  call<{ projects: Project[] }>(s, `/v3/projects${q({ domain_id: domainId })}`).then((b) => b.projects);
export const createProject = (s: Session, project: { name: string; domain_id: string; description: string }) =>
  call<{ project: Project }>(s, '/v3/projects', { method: 'POST', body: { project } }).then((b) => b.project);
export const updateProject = (s: Session, projectId: string, project: Partial<Project>) =>
  call(s, `/v3/projects/${id(projectId)}`, { method: 'PATCH', body: { project } });
export const deleteProject = (s: Session, projectId: string) =>
  call(s, `/v3/projects/${id(projectId)}`, { method: 'DELETE' });

export interface NewUser {
  name: string; domain_id: string; password: string;
  default_project_id?: string; email?: string; description?: string;
}
export const users = (s: Session) => call<{ users: User[] }>(s, '/v3/users').then((b) => b.users);
export const createUser = (s: Session, user: NewUser) =>
  call<{ user: User }>(s, '/v3/users', { method: 'POST', body: { user } }).then((b) => b.user);
export const updateUser = (s: Session, userId: string, user: Partial<User> & { password?: string }) =>
  call(s, `/v3/users/${id(userId)}`, { method: 'PATCH', body: { user } });
export const deleteUser = (s: Session, userId: string) => call(s, `/v3/users/${id(userId)}`, { method: 'DELETE' });

export const roles = (s: Session) => call<{ roles: Role[] }>(s, '/v3/roles').then((b) => b.roles);
export const assignments = (s: Session, userId?: string, projectId?: string) =>
  call<{ role_assignments: Assignment[] }>(s, `/v3/role_assignments${q({
    include_names: 'true', 'user.id': userId, 'scope.project.id': projectId,
  })}`).then((b) => b.role_assignments);
const grantPath = (p: string, u: string, r: string) => `/v3/projects/${id(p)}/users/${id(u)}/roles/${id(r)}`;
export const grant = (s: Session, projectId: string, userId: string, roleId: string) =>
  call(s, grantPath(projectId, userId, roleId), { method: 'PUT' });
export const revoke = (s: Session, projectId: string, userId: string, roleId: string) =>
  call(s, grantPath(projectId, userId, roleId), { method: 'DELETE' });

export interface AccessKey { access: string; status: 'active' | 'inactive'; create_time: string; description: string }
const KEYS = '/v3.0/OS-CREDENTIAL/credentials';
export const accessKeys = (s: Session, userId: string) =>
  call<{ credentials: AccessKey[] }>(s, `${KEYS}${q({ user_id: userId })}`).then((b) => b.credentials);
export const createAccessKey = (s: Session, userId: string, description: string) =>
  call<{ credential: AccessKey & { secret: string } }>(s, KEYS,
    { method: 'POST', body: { credential: { user_id: userId, description } } }).then((b) => b.credential);
export const updateAccessKey = (s: Session, access: string, status: AccessKey['status']) =>
  call(s, `${KEYS}/${id(access)}`, { method: 'PUT', body: { credential: { status } } });
export const deleteAccessKey = (s: Session, access: string) => call(s, `${KEYS}/${id(access)}`, { method: 'DELETE' });

export interface Organization {
  id: string; urn: string; management_account_id: string; management_account_name: string; created_at: string;
}
export interface OrgNode { id: string; name: string; urn: string; created_at: string }
export interface OrgAccount { id: string; name: string; join_method: string; status: string; joined_at: string }

/** Organizations calls act for the account `X-Domain-Id` names (the admin's project's account without it). */
export class Org {
  constructor(private readonly s: Session, private readonly account?: string) {}
  private call<T>(path: string, method = 'GET', body?: unknown) {
    return call<T>(this.s, `/v1/organizations${path}`,
      { method, body, headers: this.account ? { 'X-Domain-Id': this.account } : {} });
  }
  private async page<T extends { id: string }>(path: string, key: string, parent: string, limit: number,
    marker?: string): Promise<Page<T>> {
    const body = await this.call<Record<string, any>>(`${path}${q({ parent_id: parent, limit: String(limit), marker })}`);
    return { items: body[key] as T[], next: body.page_info?.next_marker };
  }
  show = () => this.call<{ organization: Organization }>('').then((b) => b.organization);
  create = () => this.call<{ organization: Organization }>('', 'POST').then((b) => b.organization);
  remove = () => this.call('', 'DELETE');
  roots = () => this.call<{ roots: OrgNode[] }>('/roots').then((b) => b.roots);
  units = (parent: string, limit: number, marker?: string) =>
    this.page<OrgNode>('/organizational-units', 'organizational_units', parent, limit, marker);
  createUnit = (name: string, parent: string) =>
    this.call('/organizational-units', 'POST', { name, parent_id: parent });
  renameUnit = (unit: string, name: string) => this.call(`/organizational-units/${id(unit)}`, 'PATCH', { name });
  deleteUnit = (unit: string) => this.call(`/organizational-units/${id(unit)}`, 'DELETE');
  accounts = (parent: string, limit: number, marker?: string) =>
    this.page<OrgAccount>('/accounts', 'accounts', parent, limit, marker);
  invite = (account: string, notes: string) =>
    this.call('/accounts/invite', 'POST', { target: { type: 'account', entity: account }, notes });
  move = (account: string, from: string, to: string) =>
    this.call(`/accounts/${id(account)}/move`, 'POST', { source_parent_id: from, destination_parent_id: to });
  removeAccount = (account: string) => this.call(`/accounts/${id(account)}/remove`, 'POST');
}
