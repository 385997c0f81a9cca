import { useState } from 'preact/hooks';
import { ErrorText, Status, useLoad, usePages } from '../../components';
import type { Session } from '../../session';
import { createProject, deleteProject, type Domain, domains, projects, updateProject } from './admin-api';
import { Confirm, DomainSelect, formFields, matches, nameOf, useAction } from './common';

/** Keystone projects: list (by account, filtered by name), create, enable or disable, delete. */
export function ProjectsSection({ session }: { session: Session }) {
  const accounts = useLoad(() => domains(session), []);
  const [domain, setDomain] = useState('');
  const list = useLoad(() => projects(session, domain || undefined), [domain]);
  const [filter, setFilter] = useState('');
  const rows = (list.data ?? []).filter((p) => matches(filter, p.name, p.description, p.id));
  const { rows: shown, pager } = usePages(rows);
  const row = useAction(list.reload);
  const { change } = row;

  return (
    <section aria-labelledby="admin-projects">
      <h2 id="admin-projects">Projects</h2>
      <form class="toolbar" role="search" aria-label="Filter projects" onSubmit={(e) => e.preventDefault()}>
        <label>Name contains <input type="search" value={filter}
          onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} /></label>
        <label>In domain <select value={domain} onChange={(e) => setDomain((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">All domains</option>
          {accounts.data?.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
        </select></label>
      </form>
      <ErrorText error={list.error ?? accounts.error} />
      {row.feedback}
      <table>
        <caption>Projects ({rows.length})</caption>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Domain</th><th scope="col">Status</th>
          <th scope="col">Description</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody>
          {shown.map((p) => (
            <tr key={p.id}>
              <th scope="row">{p.name}<br /><code>{p.id}</code></th>
              <td>{nameOf(accounts.data, p.domain_id)}</td>
              <td><Status value={p.enabled ? 'enabled' : 'disabled'} /></td>
              <td>{p.description}</td>
              <td><div class="toolbar">
                <button type="button" disabled={row.busy} aria-label={`${p.enabled ? 'Disable' : 'Enable'} project ${p.name}`}
                  onClick={() => change(() => updateProject(session, p.id, { enabled: !p.enabled }),
                    `Project ${p.name} ${p.enabled ? 'disabled' : 'enabled'}.`)}>
                  {p.enabled ? 'Disable' : 'Enable'}
                </button>
                <Confirm label="Delete" title={`Delete project ${p.name}`}
                  onConfirm={() => change(() => deleteProject(session, p.id), `Project ${p.name} deleted.`)}>
                  Its role assignments go and its tokens stop working. Its images stay.
                </Confirm>
              </div></td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
      <NewProject session={session} domains={accounts.data} onCreated={list.reload} />
    </section>
  );
}

function NewProject({ session, domains, onCreated }: { session: Session; domains?: Domain[]; onCreated: () => void }) {
  const { busy, run, feedback } = useAction();
  const submit = async (e: Event) => {
    const form = e.currentTarget as HTMLFormElement;
    const v = formFields(e);
    const name = v('name');
    if (await run(() => createProject(session, { name, domain_id: v('domain'), description: v('description') }),
      `Project ${name} created.`)) {
      form.reset();
      onCreated();
    }
  };
  return (
    <form onSubmit={submit} aria-busy={busy} aria-labelledby="new-project">
      <h3 id="new-project">Create a project</h3>
      <label>Name <input name="name" required maxLength={64} /></label>
      <DomainSelect domains={domains} />
      <label>Description <input name="description" maxLength={255} /></label>
      {feedback}
      <button type="submit" disabled={busy}>Create project</button>
    </form>
  );
}
