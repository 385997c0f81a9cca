import { type Static, Type } from '@sinclair/typebox';
import type { AssignmentRow, ProjectRow, UserRow } from '../../repos/identity-repo.js';
import type { Role } from '../../services/role-service.js';

const SELF = Type.Object({ self: Type.String() });
/** Keystone's collection links (never paged here). */
const LIST_LINKS = Type.Object({
  self: Type.String(), previous: Type.Null(), next: Type.Null(),
});

export const PROJECT = Type.Object({
  id: Type.String(), name: Type.String(), domain_id: Type.String(), description: Type.String(),
  enabled: Type.Boolean(), is_domain: Type.Boolean(), parent_id: Type.String(), tags: Type.Array(Type.String()),
  options: Type.Object({}), links: SELF,
});
export const PROJECT_RESPONSE = Type.Object({ project: PROJECT });
export const PROJECTS_RESPONSE = Type.Object({ projects: Type.Array(PROJECT), links: LIST_LINKS });

export const USER = Type.Object({
  id: Type.String(), name: Type.String(), domain_id: Type.String(), enabled: Type.Boolean(),
  default_project_id: Type.Optional(Type.String()), description: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()), password_expires_at: Type.Null(), options: Type.Object({}), links: SELF,
});
export const USER_RESPONSE = Type.Object({ user: USER });
export const USERS_RESPONSE = Type.Object({ users: Type.Array(USER), links: LIST_LINKS });

export const ROLE = Type.Object({
  id: Type.String(), name: Type.String(), domain_id: Type.Null(), description: Type.Null(), options: Type.Object({}),
  links: SELF,
});
export const ROLE_RESPONSE = Type.Object({ role: ROLE });
export const ROLES_RESPONSE = Type.Object({ roles: Type.Array(ROLE), links: LIST_LINKS });

const NAMED_DOMAIN = Type.Object({ id: Type.String(), name: Type.Optional(Type.String()) });
const ASSIGNMENT = Type.Object({
  role: Type.Object({ id: Type.String(), name: Type.Optional(Type.String()) }),
  user: Type.Object({ id: Type.String(), name: Type.Optional(Type.String()), domain: Type.Optional(NAMED_DOMAIN) }),
  scope: Type.Object({
    project: Type.Object({ id: Type.String(), name: Type.Optional(Type.String()), domain: Type.Optional(NAMED_DOMAIN) }),
  }),
  links: Type.Object({ assignment: Type.String() }),
});
export const ASSIGNMENTS_RESPONSE = Type.Object({
  role_assignments: Type.Array(ASSIGNMENT), links: LIST_LINKS,
});

export const NO_CONTENT = { 204: { type: 'null' } } as const;

export const listLinks = (base: string, path: string): Static<typeof LIST_LINKS> =>
  ({ self: `${base}/v3/${path}`, previous: null, next: null });

/** Keystone's project body. */
export function projectBody(p: ProjectRow, base: string): Static<typeof PROJECT> {
  return {
    id: p.id, name: p.name, domain_id: p.domain_id, description: p.description, enabled: p.enabled === 1,
    is_domain: false, parent_id: p.domain_id, tags: [], options: {}, links: { self: `${base}/v3/projects/${p.id}` },
  };
}

/** Keystone's user body: the optional attributes only when set. */
export function userBody(u: UserRow, base: string): Static<typeof USER> {
  return {
    id: u.id, name: u.name, domain_id: u.domain_id, enabled: u.enabled === 1,
    ...(u.default_project_id === null ? {} : { default_project_id: u.default_project_id }),
    ...(u.description === null ? {} : { description: u.description }),
    ...(u.email === null ? {} : { email: u.email }),
    password_expires_at: null, options: {}, links: { self: `${base}/v3/users/${u.id}` },
  };
}

export function roleBody(r: Role, base: string): Static<typeof ROLE> {
  return { id: r.id, name: r.name, domain_id: null, description: null, options: {}, links: { self: `${base}/v3/roles/${r.id}` } };
}

/** A role assignment; with `names`, the names of its role, user, project and their domains. */
export function assignmentBody(a: AssignmentRow, role: Role, base: string, names: boolean): Static<typeof ASSIGNMENT> {
  const named = (id: string, name: string, domainId: string, domainName: string) =>
    (names ? { id, name, domain: { id: domainId, name: domainName } } : { id });
  return {
    role: names ? { id: role.id, name: role.name } : { id: role.id },
    user: named(a.user_id, a.user_name, a.user_domain_id, a.user_domain_name),
    scope: { project: named(a.project_id, a.project_name, a.project_domain_id, a.project_domain_name) },
    links: { assignment: `${base}/v3/projects/${a.project_id}/users/${a.user_id}/roles/${role.id}` },
  };
}
