import { useState } from 'preact/hooks';
import { ErrorText, useLoad, usePages } from '../../components';
import type { Session } from '../../session';
import { assignments, grant, type Project, projects, revoke, type Role, roles, type User, users } from './admin-api';
import { Confirm, formFields, nameOf, useAction } from './common';

const label = (x: { name?: string; domain?: { name?: string } }) => `${x.name}${x.domain?.name ? ` (${x.domain.name})` : ''}`;

/** Role assignments of users on projects: list (by user, by project), grant, revoke. */
export function AssignmentsSection({ session }: { session: Session }) {
  const people = useLoad(() => users(session), []);
  const places = useLoad(() => projects(session), []);
  const kinds = useLoad(() => roles(session), []);
  const [user, setUser] = useState('');
  const [project, setProject] = useState('');
  const list = useLoad(() => assignments(session, user || undefined, project || undefined), [user, project]);
  const rows = list.data ?? [];
  const { rows: shown, pager } = usePages(rows);
  const row = useAction();

  return (
    <section aria-labelledby="admin-assignments">
      <h2 id="admin-assignments">Role assignments</h2>
      <form class="toolbar" role="search" aria-label="Filter role assignments" onSubmit={(e) => e.preventDefault()}>
        <Choice label="Of user" all="All users" items={people.data} value={user} onChange={setUser} />
        <Choice label="On project" all="All projects" items={places.data} value={project} onChange={setProject} />
      </form>
      <ErrorText error={list.error ?? people.error ?? places.error ?? kinds.error} />
      {row.feedback}
      <table>
        <caption>Role assignments ({rows.length})</caption>
        <thead><tr>
          <th scope="col">User</th><th scope="col">Project</th><th scope="col">Role</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody>
          {shown.map((a) => {
            const { user: u, scope: { project: p }, role: r } = a;
            return (
              <tr key={`${u.id}/${p.id}/${r.id}`}>
                <td>{label(u)}</td><td>{label(p)}</td><td>{r.name}</td>
                <td>
                  <Confirm label="Revoke" title={`Revoke role ${r.name} of ${u.name} on ${p.name}`}
                    onConfirm={async () => {
                      if (await row.run(() => revoke(session, p.id, u.id, r.id),
                        `Role ${r.name} of ${u.name} on ${p.name} revoked.`)) list.reload();
                    }}>
                    Their tokens on {p.name} stop working.
                  </Confirm>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {pager}
      <Grant session={session} users={people.data} projects={places.data} roles={kinds.data} onGranted={list.reload} />
    </section>
  );
}

/** A select over named things, with a first option for none of them in particular. */
function Choice({ label, all, items, value, onChange, name }: {
  label: string; all: string; items?: { id: string; name: string }[]; value?: string; onChange?: (id: string) => void;
  name?: string;
}) {
  return (
    <label>{label} <select name={name} value={value} required={!onChange}
      onChange={onChange && ((e) => onChange((e.currentTarget as HTMLSelectElement).value))}>
      <option value="">{all}</option>
      {items?.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
    </select></label>
  );
}

function Grant({ session, users, projects, roles, onGranted }: {
  session: Session; users?: User[]; projects?: Project[]; roles?: Role[]; onGranted: () => void;
}) {
  const { busy, run, feedback } = useAction();
  const submit = async (e: Event) => {
    const v = formFields(e);
    const [u, p, r] = [v('user'), v('project'), v('role')];
    const said = `Role ${nameOf(roles, r)} granted to ${nameOf(users, u)} on ${nameOf(projects, p)}.`;
    if (await run(() => grant(session, p, u, r), said)) onGranted();
  };
  return (
    <form onSubmit={submit} aria-busy={busy} aria-labelledby="grant-role">
      <h3 id="grant-role">Grant a role</h3>
      <Choice label="User" all="Choose a user" name="user" items={users} />
      <Choice label="Project" all="Choose a project" name="project" items={projects} />
      <Choice label="Role" all="Choose a role" name="role" items={roles} />
      {feedback}
      <button type="submit" disabled={busy}>Grant role</button>
    </form>
  );
}
