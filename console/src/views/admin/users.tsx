import { useState } from 'preact/hooks';
import { ErrorText, Status, useLoad, usePages } from '../../components';
import type { Session } from '../../session';
import {
  createUser, deleteUser, type Domain, domains, type Project, projects, updateUser, users,
} from './admin-api';
import { AskButton, Confirm, DomainSelect, formFields, matches, nameOf, useAction } from './common';

/** Keystone users: list (filtered), create, enable or disable, set a password, delete; a link to their access keys. */
export function UsersSection({ session }: { session: Session }) {
  const list = useLoad(() => users(session), []);
  const accounts = useLoad(() => domains(session), []);
  const places = useLoad(() => projects(session), []);
  const [filter, setFilter] = useState('');
  const rows = (list.data ?? []).filter((u) => matches(filter, u.name, u.email, u.description, u.id));
  const { rows: shown, pager } = usePages(rows);
  const row = useAction(list.reload);
  const { change } = row;

  return (
    <section aria-labelledby="admin-users">
      <h2 id="admin-users">Users</h2>
      <form class="toolbar" role="search" aria-label="Filter users" onSubmit={(e) => e.preventDefault()}>
        <label>Name or email contains <input type="search" value={filter}
          onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} /></label>
      </form>
      <ErrorText error={list.error ?? accounts.error ?? places.error} />
      {row.feedback}
      <table>
        <caption>Users ({rows.length})</caption>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Domain</th><th scope="col">Default project</th>
          <th scope="col">Email</th><th scope="col">Description</th><th scope="col">Status</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody>
          {shown.map((u) => (
            <tr key={u.id}>
              <th scope="row">{u.name}<br /><code>{u.id}</code></th>
              <td>{nameOf(accounts.data, u.domain_id)}</td>
              <td>{u.default_project_id ? nameOf(places.data, u.default_project_id) : '—'}</td>
              <td>{u.email ?? '—'}</td>
              <td>{u.description}</td>
              <td><Status value={u.enabled ? 'enabled' : 'disabled'} /></td>
              <td><div class="toolbar">
                <button type="button" disabled={row.busy} aria-label={`${u.enabled ? 'Disable' : 'Enable'} user ${u.name}`}
                  onClick={() => change(() => updateUser(session, u.id, { enabled: !u.enabled }),
                    `User ${u.name} ${u.enabled ? 'disabled' : 'enabled'}.`)}>
                  {u.enabled ? 'Disable' : 'Enable'}
                </button>
                <AskButton label="Set password" title={`Set password of ${u.name}`} field="New password"
                  secret change={(password) => updateUser(session, u.id, { password })}
                  said={`The password of ${u.name} is set; their tokens were revoked.`} onDone={row.say} />
                <a href={`#/admin/access-keys/${encodeURIComponent(u.id)}`} aria-label={`Access keys of ${u.name}`}>
                  Access keys
                </a>
                <Confirm label="Delete" title={`Delete user ${u.name}`}
                  onConfirm={() => change(() => deleteUser(session, u.id), `User ${u.name} deleted.`)}>
                  Their role assignments, access keys and tokens go with them.
                </Confirm>
              </div></td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
      <NewUser session={session} domains={accounts.data} projects={places.data} onCreated={list.reload} />
    </section>
  );
}

function NewUser({ session, domains, projects, onCreated }: {
  session: Session; domains?: Domain[]; projects?: Project[]; onCreated: () => void;
}) {
  const { busy, run, feedback } = useAction();
  const [domain, setDomain] = useState('default');
  const submit = async (e: Event) => {
    const form = e.currentTarget as HTMLFormElement;
    const v = formFields(e);
    const name = v('name');
    const optional = (key: string) => (v(key) ? { [key]: v(key) } : {});
    const user = {
      name, domain_id: domain, password: v('password', true),
      ...optional('default_project_id'), ...optional('email'), ...optional('description'),
    };
    if (await run(() => createUser(session, user), `User ${name} created.`)) {
      form.reset();
      onCreated();
    }
  };
  return (
    <form onSubmit={submit} aria-busy={busy} aria-labelledby="new-user">
      <h3 id="new-user">Create a user</h3>
      <label>Name <input name="name" required maxLength={255} autocomplete="off" /></label>
      <DomainSelect domains={domains} value={domain} onChange={setDomain} />
      <label>Default project <select name="default_project_id">
        <option value="">None</option>
        {projects?.filter((p) => p.domain_id === domain).map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      </select></label>
      <label>Password <input name="password" type="password" required autocomplete="new-password" /></label>
      <label>Email <input name="email" type="email" maxLength={255} /></label>
      <label>Description <input name="description" maxLength={255} /></label>
      {feedback}
      <button type="submit" disabled={busy}>Create user</button>
    </form>
  );
}
