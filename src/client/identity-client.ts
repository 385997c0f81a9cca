import { ImsClient, type ImsClientOptions } from './ims-client.js';

/**
 * Keystone v3 (login, projects, users, role assignments) and Huawei IAM permanent access keys
 * (`/v3.0/OS-CREDENTIAL/credentials`) over an ImsClient whose endpoint is the identity service's root
 * (the auth URL without its `/v3`).
 */

/** Who logs in and the project the token is scoped to: by id, or by name within a domain (default `Default`). */
export interface PasswordLogin {
  user: { id?: string; name?: string; domainId?: string; domainName?: string };
  password: string;
  project?: { id?: string; name?: string; domainId?: string; domainName?: string };
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region?: string; region_id?: string; url: string }[];
}

export interface Login {
  token: string;
  userId: string;
  projectId: string | undefined;
  /** The image service's URL in the token's catalog (public interface, `region` when given). */
  imageUrl: string | undefined;
}

const ref = (id: string | undefined, name: string | undefined, domain?: { id?: string; name?: string }) => (id
  ? { id } : { name, domain: domain?.id ? { id: domain.id } : { name: domain?.name ?? 'Default' } });

/** `POST /v3/auth/tokens` with the password method. */
export async function passwordLogin(options: Omit<ImsClientOptions, 'auth'>, login: PasswordLogin, region?: string)
  : Promise<Login> {
  const { user, project } = login;
  const body = {
    auth: {
      identity: { methods: ['password'], password: {
        user: { ...ref(user.id, user.name, { id: user.domainId, name: user.domainName }), password: login.password },
      } },
      ...(project ? { scope: { project: ref(project.id, project.name, { id: project.domainId, name: project.domainName }) } }
        : {}),
    },
  };
  const res = await new ImsClient(options).request<{
    token: { user: { id: string }; project?: { id: string }; catalog?: CatalogEntry[] };
  }>('POST', '/v3/auth/tokens', { body });
  const image = res.body.token.catalog?.find((s) => s.type === 'image')?.endpoints
    .find((e) => e.interface === 'public' && (region === undefined || (e.region_id ?? e.region) === region));
  return { token: res.headers.get('x-subject-token') ?? '', userId: res.body.token.user.id,
    projectId: res.body.token.project?.id, imageUrl: image?.url };
}

type Entity = Record<string, unknown> & { id: string };

/** A permanent access key as IAM shows it; `secret` only in the answer that created it. */
export interface AccessKey {
  access: string;
  secret?: string;
  status: string;
  user_id: string;
  description: string;
  create_time: string;
}

const seg = encodeURIComponent;

export class IdentityClient {
  constructor(private readonly http: ImsClient) {}

  async createProject(project: { name: string; domain_id?: string; description?: string }): Promise<Entity> {
    return (await this.http.request<{ project: Entity }>('POST', '/v3/projects', { body: { project } })).body.project;
  }

  async listProjects(query: { name?: string; domain_id?: string } = {}): Promise<Entity[]> {
    return (await this.http.request<{ projects: Entity[] }>('GET', '/v3/projects', { query })).body.projects;
  }

  async showProject(id: string): Promise<Entity> {
    return (await this.http.request<{ project: Entity }>('GET', `/v3/projects/${seg(id)}`)).body.project;
  }

  async deleteProject(id: string): Promise<void> {
    await this.http.request('DELETE', `/v3/projects/${seg(id)}`);
  }

  async createUser(user: { name: string; password: string; domain_id?: string; default_project_id?: string })
    : Promise<Entity> {
    return (await this.http.request<{ user: Entity }>('POST', '/v3/users', { body: { user } })).body.user;
  }

  async listUsers(query: { name?: string; domain_id?: string } = {}): Promise<Entity[]> {
    return (await this.http.request<{ users: Entity[] }>('GET', '/v3/users', { query })).body.users;
  }

  async showUser(id: string): Promise<Entity> {
    return (await this.http.request<{ user: Entity }>('GET', `/v3/users/${seg(id)}`)).body.user;
  }

  async updateUser(id: string, user: { password?: string; enabled?: boolean; name?: string }): Promise<Entity> {
    return (await this.http.request<{ user: Entity }>('PATCH', `/v3/users/${seg(id)}`, { body: { user } })).body.user;
  }

  async deleteUser(id: string): Promise<void> {
    await this.http.request('DELETE', `/v3/users/${seg(id)}`);
  }

  async listRoles(query: { name?: string } = {}): Promise<Entity[]> {
    return (await this.http.request<{ roles: Entity[] }>('GET', '/v3/roles', { query })).body.roles;
  }

  /** `PUT /v3/projects/{project_id}/users/{user_id}/roles/{role_id}` (204). */
  async grantRole(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.http.request('PUT', `/v3/projects/${seg(projectId)}/users/${seg(userId)}/roles/${seg(roleId)}`);
  }

  /** `DELETE /v3/projects/{project_id}/users/{user_id}/roles/{role_id}` (204). */
  async revokeRole(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.http.request('DELETE', `/v3/projects/${seg(projectId)}/users/${seg(userId)}/roles/${seg(roleId)}`);
  }

  /** `GET /v3/role_assignments?user.id&scope.project.id&include_names`. */
  async listRoleAssignments(query: { 'user.id'?: string; 'scope.project.id'?: string; include_names?: boolean } = {})
    : Promise<Entity[]> {
    return (await this.http.request<{ role_assignments: Entity[] }>('GET', '/v3/role_assignments', { query }))
      .body.role_assignments;
  }

  async createAccessKey(credential: { user_id: string; description?: string }): Promise<AccessKey> {
    return (await this.http.request<{ credential: AccessKey }>('POST', '/v3.0/OS-CREDENTIAL/credentials',
      { body: { credential } })).body.credential;
  }

  async listAccessKeys(query: { user_id?: string } = {}): Promise<AccessKey[]> {
    return (await this.http.request<{ credentials: AccessKey[] }>('GET', '/v3.0/OS-CREDENTIAL/credentials', { query }))
      .body.credentials;
  }

  async showAccessKey(access: string): Promise<AccessKey> {
    return (await this.http.request<{ credential: AccessKey }>('GET', `/v3.0/OS-CREDENTIAL/credentials/${seg(access)}`))
      .body.credential;
  }

  async updateAccessKey(access: string, credential: { status?: 'active' | 'inactive'; description?: string })
    : Promise<AccessKey> {
    return (await this.http.request<{ credential: AccessKey }>('PUT', `/v3.0/OS-CREDENTIAL/credentials/${seg(access)}`,
      { body: { credential } })).body.credential;
  }

  async deleteAccessKey(access: string): Promise<void> {
    await this.http.request('DELETE', `/v3.0/OS-CREDENTIAL/credentials/${seg(access)}`);
  }
}
