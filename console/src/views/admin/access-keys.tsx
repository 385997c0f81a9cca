import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorText, Status, useLoad, usePages } from '../../components';
import { go } from '../../route';
import type { Session } from '../../session';
import { type AccessKey, accessKeys, createAccessKey, deleteAccessKey, updateAccessKey, users } from './admin-api';
import { Confirm, formFields, nameOf, useAction } from './common';

/** A user's permanent access keys (Huawei IAM): list, create (the secret shown once), enable or disable, delete. */
export function AccessKeysSection({ session, userId }: { session: Session; userId?: string }) {
  const people = useLoad(() => users(session), []);
  return (
    <section aria-labelledby="admin-keys">
      <h2 id="admin-keys">Access keys</h2>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Whose access keys">
        <label>User <select value={userId ?? ''}
          onChange={(e) => go('admin', 'access-keys', (e.currentTarget as HTMLSelectElement).value)}>
          <option value="">Choose a user</option>
          {people.data?.map((u) => <option key={u.id} value={u.id}>{u.name}</option>)}
        </select></label>
      </form>
      <ErrorText error={people.error} />
      {userId && <Keys key={userId} session={session} userId={userId} name={nameOf(people.data, userId)!} />}
    </section>
  );
}

function Keys({ session, userId, name }: { session: Session; userId: string; name: string }) {
  const list = useLoad(() => accessKeys(session, userId), []);
  const rows = list.data ?? [];
  const { rows: shown, pager } = usePages(rows);
  const row = useAction(list.reload);
  const { change } = row;
  const flip = (k: AccessKey) => (k.status === 'active' ? 'inactive' : 'active');
  return (
    <>
      <ErrorText error={list.error} />
      {row.feedback}
      <table>
        <caption>Access keys of {name} ({rows.length})</caption>
        <thead><tr>
          <th scope="col">Access key</th><th scope="col">Status</th><th scope="col">Created</th>
          <th scope="col">Description</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody>
          {shown.map((k) => (
            <tr key={k.access}>
              <th scope="row"><code>{k.access}</code></th>
              <td><Status value={k.status} /></td>
              <td><time dateTime={k.create_time}>{new Date(k.create_time).toLocaleString()}</time></td>
              <td>{k.description}</td>
              <td><div class="toolbar">
                <button type="button" disabled={row.busy}
                  aria-label={`${k.status === 'active' ? 'Disable' : 'Enable'} access key ${k.access}`}
                  onClick={() => change(() => updateAccessKey(session, k.access, flip(k)), `Access key ${k.access} is ${flip(k)}.`)}>
                  {k.status === 'active' ? 'Disable' : 'Enable'}
                </button>
                <Confirm label="Delete" title={`Delete access key ${k.access}`}
                  onConfirm={() => change(() => deleteAccessKey(session, k.access), `Access key ${k.access} deleted.`)}>
                  Requests signed with it are refused from now on.
                </Confirm>
              </div></td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
      <NewKey session={session} userId={userId} name={name} onCreated={list.reload} />
    </>
  );
}

function NewKey({ session, userId, name, onCreated }: { session: Session; userId: string; name: string; onCreated: () => void }) {
  const { busy, run, feedback } = useAction();
  const [created, setCreated] = useState<AccessKey & { secret: string }>();
  const submit = async (e: Event) => {
    const form = e.currentTarget as HTMLFormElement;
    const description = formFields(e)('description');
    setCreated(undefined);
    let key: AccessKey & { secret: string };
    if (await run(async () => { key = await createAccessKey(session, userId, description); }, 'Access key created.')) {
      setCreated(key!);
      form.reset();
      onCreated();
    }
  };
  return (
    <>
      <form onSubmit={submit} aria-busy={busy} aria-labelledby="new-key">
        <h3 id="new-key">Create an access key for {name}</h3>
        <label>Description <input name="description" maxLength={255} /></label>
        {feedback}
        <button type="submit" disabled={busy}>Create access key</button>
      </form>
      {created && <Secret created={created} onDone={() => setCreated(undefined)} />}
    </>
  );
}

/** The new key's secret, this once: a read-only field to copy from, and a button that copies it. */
function Secret({ created, onDone }: { created: AccessKey & { secret: string }; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('Secret key copied.');
    } catch {
      setCopied('The browser would not copy it: select the field and copy it yourself.');
    }
  };
  const select = (e: Event) => (e.currentTarget as HTMLInputElement).select();
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), [created.access]);
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h3 id="secret-title">New access key {created.access}</h3>
      <p><strong>Copy the secret key now: it is shown this once and never again.</strong></p>
      <label>Access key (AK) <input readOnly value={created.access} onFocus={select} /></label>
      <label>Secret key (SK) <input readOnly value={created.secret} onFocus={select} ref={field} size={44}
        spellcheck={false} /></label>
      <div class="toolbar">
        <button type="button" onClick={copy}>Copy secret key</button>
        <button type="button" onClick={onDone}>I have saved it</button>
      </div>
      <p role="status">{copied}</p>
    </section>
  );
}
