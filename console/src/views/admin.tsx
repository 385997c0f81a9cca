import { useRoute } from '../route';
import type { Session } from '../session';
import { AccessKeysSection } from './admin/access-keys';
import { AssignmentsSection } from './admin/assignments';
import { OrganizationsSection } from './admin/organizations';
import { ProjectsSection } from './admin/projects';
import { UsersSection } from './admin/users';

const SECTIONS = [
  ['projects', 'Projects'],
  ['users', 'Users'],
  ['assignments', 'Role assignments'],
  ['access-keys', 'Access keys'],
  ['organizations', 'Organizations'],
] as const;

/**
 * The admin's view (#/admin/<section>): projects, users, role assignments, access keys, organizations. The shell
 * shows it to admins only; every call is the API's to allow, and its refusal is shown as it said it.
 */
export function AdminView({ session, section }: { session: Session; section?: string }) {
  const route = useRoute();
  const current = SECTIONS.find(([s]) => s === section)?.[0] ?? 'projects';
  let body;
  if (current === 'users') body = <UsersSection session={session} />;
  else if (current === 'assignments') body = <AssignmentsSection session={session} />;
  else if (current === 'access-keys') body = <AccessKeysSection session={session} userId={route[2]} />;
  else if (current === 'organizations') body = <OrganizationsSection session={session} />;
  else body = <ProjectsSection session={session} />;
  return (
    <>
      <h1>Admin</h1>
      <nav aria-label="Admin sections" class="subnav">
        <ul>
          {SECTIONS.map(([s, label]) => (
            <li key={s}><a href={`#/admin/${s}`} aria-current={s === current ? 'page' : undefined}>{label}</a></li>
          ))}
        </ul>
      </nav>
      {body}
    </>
  );
}
