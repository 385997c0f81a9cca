import { hashPassword } from '../auth/password.js';
import type { SecretBox } from '../auth/secret-box.js';
import { type Clock, hexId, isoNow } from '../domain/clock.js';
import { DEFAULT_DOMAIN, type DomainRow, type IdentityRepo, type ProjectRow } from '../repos/identity-repo.js';

/**
 * The bootstrap file. Domains (accounts) are named by `domain` on projects, users and access keys; without
 * one, an entry is in domain `Default`. A user's `project` is a project of the user's domain.
 */
export interface Bootstrap {
  domains?: { name: string; id?: string }[];
  projects?: { name: string; id?: string; domain?: string }[];
  users?: { name: string; password: string; project: string; domain?: string; roles?: string[] }[];
  access_keys?: { access: string; secret: string; user: string; domain?: string }[];
}

/** What a bootstrap file created or found: each entry with its domain's name and its id, in the file's order. */
export interface BootstrapSummary {
  domains: { name: string; id: string }[];
  projects: { name: string; domain: string; id: string }[];
  users: { name: string; domain: string; id: string }[];
}

/** Keystone's longest domain name. */
export const MAX_DOMAIN_NAME = 64;

const HEX_ID_RE = /^[0-9a-f]{32}$/;

const fail = (msg: string): never => {
  throw new Error(`bootstrap: ${msg}`);
};

/**
 * Creates or updates domains, projects, users, roles and access keys (the bootstrap file, the first admin),
 * never deletes. Processes starting together may race on the same rows: a row another process inserted
 * first is taken as found (and updated like one).
 */
export class Bootstrapper {
  constructor(
    private readonly repo: IdentityRepo,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {}

  async apply(spec: unknown): Promise<BootstrapSummary> {
    validateBootstrap(spec);
    const summary: BootstrapSummary = { domains: [], projects: [], users: [] };
    const noteProject = (p: ProjectRow, domain: DomainRow) => {
      if (!summary.projects.some((s) => s.id === p.id)) summary.projects.push({ name: p.name, domain: domain.name, id: p.id });
    };
    for (const d of spec.domains ?? []) {
      const domain = await this.ensureDomain(d.name, d.id);
      summary.domains.push({ name: domain.name, id: domain.id });
    }
    for (const p of spec.projects ?? []) {
      const domain = await this.domainNamed(p.domain);
      noteProject(await this.ensureProject(p.name, p.id, domain), domain);
    }
    for (const u of spec.users ?? []) {
      const domain = await this.domainNamed(u.domain);
      const project = await this.ensureProject(u.project, undefined, domain);
      noteProject(project, domain);
      const id = await this.ensureUser(u.name, u.password, project, u.roles ?? ['member', 'reader']);
      summary.users.push({ name: u.name, domain: domain.name, id });
    }
    for (const k of spec.access_keys ?? []) {
      const user = await this.repo.userByName((await this.domainNamed(k.domain)).id, k.user);
      if (!user) fail(`access key ${k.access} names unknown user "${k.user}"`);
      await this.repo.upsertAccessKey(k.access, this.box.seal(k.secret), user!.id, isoNow(this.clock));
    }
    return summary;
  }

  async ensureDomain(name: string, id?: string): Promise<DomainRow> {
    let domain = await this.repo.domainByName(name);
    if (!domain) {
      await this.repo.insertDomain({ id: id ?? hexId(), name, description: '', enabled: 1, created_at: isoNow(this.clock) });
      domain = await this.repo.domainByName(name);
      if (!domain) fail(`domain "${name}" cannot take id ${id}: another domain has it`);
    }
    if (id !== undefined && domain!.id !== id) fail(`domain "${name}" already exists with id ${domain!.id}, not ${id}`);
    return domain!;
  }

  async ensureProject(name: string, id?: string, domain: Pick<DomainRow, 'id' | 'name'> = DEFAULT_DOMAIN)
    : Promise<ProjectRow> {
    let project = await this.repo.projectByName(domain.id, name);
    if (!project) {
      await this.repo.insertProject({ id: id ?? hexId(), name, domain_id: domain.id, created_at: isoNow(this.clock) });
      project = await this.repo.projectByName(domain.id, name);
      if (!project) fail(`project "${name}" cannot take id ${id}: another project has it`);
    }
    if (id !== undefined && project!.id !== id) {
      fail(`project "${name}" already exists with id ${project!.id}, not ${id}`);
    }
    return project!;
  }

  /** The user, in its project's domain, with these roles on that project: its id. */
  async ensureUser(name: string, password: string, project: ProjectRow, roles: string[]): Promise<string> {
    const hash = await hashPassword(password);
    let user = await this.repo.userByName(project.domain_id, name);
    if (!user) {
      const row = { id: hexId(), name, domain_id: project.domain_id, password_hash: hash, default_project_id: project.id,
        created_at: isoNow(this.clock) };
      await this.repo.insertUser(row);
      user = (await this.repo.userByName(project.domain_id, name))!;
    }
    if (user.password_hash !== hash || user.default_project_id !== project.id) {
      await this.repo.updateUser(user.id, { password_hash: hash, default_project_id: project.id });
    }
    await this.repo.setRoles(user.id, project.id, [...new Set(roles)]);
    return user.id;
  }

  /** The domain an entry names (`Default` when none): listed in the file or already stored. */
  private async domainNamed(name: string | undefined): Promise<DomainRow> {
    const domain = await this.repo.domainByName(name ?? DEFAULT_DOMAIN.name);
    if (!domain) fail(`unknown domain "${name}": list it under "domains"`);
    return domain!;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateBootstrap(spec: unknown): asserts spec is Bootstrap {
  if (!isObject(spec)) fail('the file must hold a JSON object');
  const s = spec as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!['domains', 'projects', 'users', 'access_keys'].includes(key)) fail(`unknown key "${key}"`);
  }
  const entries = (key: string) => {
    const v = s[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) fail(`"${key}" must be an array`);
    return (v as unknown[]).map((entry, i) => (isObject(entry) ? entry : fail(`${key}[${i}] must be an object`)));
  };
  const str = (v: unknown, what: string) => {
    if (typeof v !== 'string' || v === '') fail(`${what} must be a non-empty string`);
  };
  const optionalStr = (v: unknown, what: string) => {
    if (v !== undefined) str(v, what);
  };
  const hexId = (v: unknown, what: string) => {
    if (v !== undefined && (typeof v !== 'string' || !HEX_ID_RE.test(v))) {
      fail(`${what} must be 32 lowercase hex characters`);
    }
  };
  entries('domains').forEach((d, i) => {
    str(d.name, `domains[${i}].name`);
    if ((d.name as string).length > MAX_DOMAIN_NAME) {
      fail(`domains[${i}].name must be at most ${MAX_DOMAIN_NAME} characters`);
    }
    hexId(d.id, `domains[${i}].id`);
  });
  entries('projects').forEach((p, i) => {
    str(p.name, `projects[${i}].name`);
    hexId(p.id, `projects[${i}].id`);
    optionalStr(p.domain, `projects[${i}].domain`);
  });
  entries('users').forEach((u, i) => {
    for (const k of ['name', 'password', 'project']) str(u[k], `users[${i}].${k}`);
    optionalStr(u.domain, `users[${i}].domain`);
    if (u.roles !== undefined && (!Array.isArray(u.roles) || u.roles.some((r: unknown) => typeof r !== 'string' || !r))) {
      fail(`users[${i}].roles must be an array of role names`);
    }
  });
  entries('access_keys').forEach((k, i) => {
    for (const f of ['access', 'secret', 'user']) str(k[f], `access_keys[${i}].${f}`);
    optionalStr(k.domain, `access_keys[${i}].domain`);
  });
}
