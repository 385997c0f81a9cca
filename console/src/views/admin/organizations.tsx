import { useState } from 'preact/hooks';
import { ApiError } from '../../api';
import { ErrorText, useApiPages, useLoad } from '../../components';
import type { Session } from '../../session';
import { type Domain, domains, Org, type OrgNode } from './admin-api';
import { AskButton, Confirm, DomainSelect, formFields, useAction } from './common';

const when = (t: string) => <time dateTime={t}>{new Date(t).toLocaleString()}</time>;

/**
 * Huawei Organizations as the admin acting for one account (X-Domain-Id): the organization, its root, OUs and
 * member accounts; create and delete the organization, create, rename and delete OUs, invite, move and remove accounts.
 */
export function OrganizationsSection({ session }: { session: Session }) {
  const accounts = useLoad(() => domains(session), []);
  const [account, setAccount] = useState(session.project.domain.id);
  return (
    <section aria-labelledby="admin-orgs">
      <h2 id="admin-orgs">Organizations</h2>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Whose organization">
        <DomainSelect label="Act for account" domains={accounts.data} value={account} onChange={setAccount} />
      </form>
      <ErrorText error={accounts.error} />
      <Organization key={account} org={new Org(session, account)} account={account} domains={accounts.data} />
    </section>
  );
}

function Organization({ org, account, domains }: { org: Org; account: string; domains?: Domain[] }) {
  const shown = useLoad(org.show, []);
  const roots = useLoad(() => (shown.data ? org.roots() : Promise.resolve([])), [shown.data?.id]);
  const { busy, run, feedback } = useAction();
  const none = shown.error instanceof ApiError && shown.error.code === 'Organizations.1015';
  const o = shown.data;
  return (
    <>
      <ErrorText error={shown.error} />
      {feedback}
      {none && (
        <button type="button" disabled={busy} onClick={async () => {
          if (await run(org.create, 'Organization created.')) shown.reload();
        }}>Create an organization managed by this account</button>
      )}
      {o && (
        <>
          <dl>
            <dt>Organization</dt><dd><code>{o.id}</code></dd>
            <dt>URN</dt><dd><code>{o.urn}</code></dd>
            <dt>Management account</dt><dd>{o.management_account_name} (<code>{o.management_account_id}</code>)</dd>
            <dt>Created</dt><dd>{when(o.created_at)}</dd>
          </dl>
          {o.management_account_id === account && (
            <Confirm label="Delete organization" title={`Delete organization ${o.id}`}
              onConfirm={async () => { if (await run(org.remove, 'Organization deleted.')) shown.reload(); }}>
              Only an organization with no OU and no member account but the management account can be deleted.
            </Confirm>
          )}
          <ErrorText error={roots.error} />
          {roots.data?.map((root) => <Tree key={root.id} org={org} root={root} domains={domains} />)}
        </>
      )}
    </>
  );
}

/** Where one is in the tree of OUs (from the root down), and what is right under it. */
function Tree({ org, root, domains }: { org: Org; root: OrgNode; domains?: Domain[] }) {
  const [path, setPath] = useState([root]);
  const here = path[path.length - 1]!;
  return (
    <>
      <h3>Organizational units and accounts</h3>
      <nav aria-label="Organization path" class="toolbar">
        {path.map((node, i) => (i === path.length - 1
          ? <span key={node.id} aria-current="location">{node.name}</span>
          : <button key={node.id} type="button" class="link" onClick={() => setPath(path.slice(0, i + 1))}>{node.name}</button>))}
      </nav>
      <Node key={here.id} org={org} path={path} onOpen={(unit) => setPath([...path, unit])} domains={domains} />
    </>
  );
}

function Node({ org, path, onOpen, domains }: {
  org: Org; path: OrgNode[]; onOpen: (unit: OrgNode) => void; domains?: Domain[];
}) {
  const here = path[path.length - 1]!;
  const atRoot = path.length === 1;
  const units = useApiPages((limit, marker) => org.units(here.id, limit, marker), 'Organizational units');
  const members = useApiPages((limit, marker) => org.accounts(here.id, limit, marker), 'Accounts');
  const row = useAction();
  const after = (reload: () => void) => (said: string) => { row.say(said); reload(); };
  const change = async (call: () => Promise<unknown>, said: string, reload: () => void) => {
    if (await row.run(call, said)) reload();
  };
  // Where an account here may go: up the path, or into an OU right under here.
  const destinations = [...path.slice(0, -1), ...units.items];

  return (
    <>
      {row.feedback}
      <table>
        <caption>Organizational units in {here.name}</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {units.items.map((u) => (
            <tr key={u.id}>
              <th scope="row"><button type="button" class="link" onClick={() => onOpen(u)} aria-label={`Open ${u.name}`}>
                {u.name}</button></th>
              <td><code>{u.id}</code></td>
              <td>{when(u.created_at)}</td>
              <td><div class="toolbar">
                <AskButton label="Rename" title={`Rename ${u.name}`} field="New name"
                  change={(name) => org.renameUnit(u.id, name)} said={`${u.name} renamed.`} onDone={after(units.reload)} />
                <Confirm label="Delete" title={`Delete organizational unit ${u.name}`}
                  onConfirm={() => change(() => org.deleteUnit(u.id), `${u.name} deleted.`, units.reload)}>
                  Only an organizational unit with nothing under it can be deleted.
                </Confirm>
              </div></td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorText error={units.error} />
      {units.pager}
      <NameForm title={`Create an organizational unit in ${here.name}`} submitLabel="Create organizational unit"
        create={(name) => org.createUnit(name, here.id)} said={(name) => `Organizational unit ${name} created.`}
        onDone={units.reload} />

      <table>
        <caption>Accounts in {here.name}</caption>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Id</th><th scope="col">Joined</th><th scope="col">How</th>
          <th scope="col">Actions</th>
        </tr></thead>
        <tbody>
          {members.items.map((a) => (
            <tr key={a.id}>
              <th scope="row">{a.name}</th>
              <td><code>{a.id}</code></td>
              <td>{when(a.joined_at)}</td>
              <td>{a.join_method}</td>
              <td><div class="toolbar">
                {destinations.length > 0 && (
                  <AskButton label="Move" title={`Move account ${a.name}`} field="Move to" options={destinations}
                    change={(to) => org.move(a.id, here.id, to)} said={`Account ${a.name} moved.`}
                    onDone={after(members.reload)} />
                )}
                <Confirm label="Remove" title={`Remove account ${a.name}`}
                  onConfirm={() => change(() => org.removeAccount(a.id), `Account ${a.name} removed.`, members.reload)}>
                  Images shared with the organization no longer reach its projects.
                </Confirm>
              </div></td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorText error={members.error} />
      {members.pager}
      {atRoot && <Invite org={org} domains={domains} onDone={members.reload} />}
    </>
  );
}

/** A form of one name: `create` it, then `onDone`. */
function NameForm({ title, submitLabel, create, said, onDone }: {
  title: string; submitLabel: string; create: (name: string) => Promise<unknown>; said: (name: string) => string;
  onDone: () => void;
}) {
  const { busy, run, feedback } = useAction();
  const submit = async (e: Event) => {
    const form = e.currentTarget as HTMLFormElement;
    const name = formFields(e)('name');
    if (await run(() => create(name), said(name))) {
      form.reset();
      onDone();
    }
  };
  return (
    <form onSubmit={submit} aria-busy={busy} aria-label={title}>
      <h3>{title}</h3>
      <label>Name <input name="name" required maxLength={64} /></label>
      {feedback}
      <button type="submit" disabled={busy}>{submitLabel}</button>
    </form>
  );
}

/** InviteAccount: here the account joins at once, under the root. */
function Invite({ org, domains, onDone }: { org: Org; domains?: Domain[]; onDone: () => void }) {
  const { busy, run, feedback } = useAction();
  const submit = async (e: Event) => {
    const v = formFields(e);
    const account = v('account');
    const name = domains?.find((d) => d.id === account)?.name ?? account;
    if (await run(() => org.invite(account, v('notes')), `Account ${name} joined the organization.`)) onDone();
  };
  return (
    <form onSubmit={submit} aria-busy={busy} aria-labelledby="invite-account">
      <h3 id="invite-account">Invite an account</h3>
      <p>The account joins at once, under the root.</p>
      <DomainSelect label="Account" name="account" domains={domains} />
      <label>Notes <input name="notes" maxLength={1024} /></label>
      {feedback}
      <button type="submit" disabled={busy}>Invite account</button>
    </form>
  );
}
