import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog, ErrorText } from '../../components';
import type { Domain } from './admin-api';

/**
 * One change at a time: busy while it runs, then the API's refusal or what was done, announced. `change` runs one
 * and then `after` (a list's reload) when it succeeded.
 */
export function useAction(after?: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const run = async (change: () => Promise<unknown>, said: string): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    setDone('');
    try {
      await change();
      setDone(said);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  /** Announces what was done elsewhere (in a dialog now closed). */
  const say = (said: string) => { setError(undefined); setDone(said); };
  const change = async (call: () => Promise<unknown>, said: string) => {
    if (await run(call, said)) after?.();
  };
  const feedback = <><ErrorText error={error} /><p role="status" class="done">{done}</p></>;
  return { busy, run, change, say, feedback };
}

/** The text fields of a submitted form, trimmed unless `raw` (passwords). */
export function formFields(e: Event): (name: string, raw?: boolean) => string {
  e.preventDefault();
  const form = new FormData(e.currentTarget as HTMLFormElement);
  return (name, raw = false) => {
    const value = String(form.get(name) ?? '');
    return raw ? value : value.trim();
  };
}

/** A destructive action's button: it asks first, in a dialog whose default is Cancel. */
export function Confirm({ label, title, children, onConfirm }: {
  label: string; title: string; children: ComponentChildren; onConfirm: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="danger" aria-label={title} onClick={() => setOpen(true)}>{label}</button>
      {open && (
        <Dialog title={`${title}?`} onClose={() => setOpen(false)}>
          <p>{children}</p>
          <div class="toolbar">
            <button type="button" class="danger" onClick={() => { setOpen(false); onConfirm(); }}>{label}</button>
            <button type="button" autofocus onClick={() => setOpen(false)}>Cancel</button>
          </div>
        </Dialog>
      )}
    </>
  );
}

/**
 * A button opening a dialog with a form of one field (a text field, or a choice among `options`); once `change`
 * succeeds the dialog closes and `onDone` is told what was done.
 */
export function AskButton({ label, title, field, secret = false, options, change, said, onDone }: {
  label: string; title: string; field: string; secret?: boolean; options?: { id: string; name: string }[];
  change: (value: string) => Promise<unknown>; said: string; onDone: (said: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const { busy, run, feedback } = useAction();
  const send = async (e: Event) => {
    const value = formFields(e)('value', secret);
    if (await run(() => change(value), said)) {
      setOpen(false);
      onDone(said);
    }
  };
  return (
    <>
      <button type="button" aria-label={title} onClick={() => setOpen(true)}>{label}</button>
      {open && (
        <Dialog title={title} onClose={() => setOpen(false)}>
          <form onSubmit={send} aria-busy={busy}>
            <label>{field} {options
              ? <select name="value" required autofocus>
                {options.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
              </select>
              : secret ? <input name="value" type="password" required autofocus autocomplete="new-password" />
              : <input name="value" required autofocus autocomplete="off" />}
            </label>
            {feedback}
            <div class="toolbar">
              <button type="submit" disabled={busy}>{label}</button>
              <button type="button" onClick={() => setOpen(false)}>Cancel</button>
            </div>
          </form>
        </Dialog>
      )}
    </>
  );
}

/** Whether a row's text holds `filter` (any case). */
export const matches = (filter: string, ...texts: (string | undefined)[]) =>
  !filter || texts.some((t) => t?.toLowerCase().includes(filter.toLowerCase()));

/** A choice of account (Keystone domain), by name; its value is the domain's id. */
export function DomainSelect({ domains, label = 'Domain', name = 'domain', value, onChange, initial = 'default' }: {
  domains: Domain[] | undefined; label?: string; name?: string; value?: string; onChange?: (id: string) => void;
  initial?: string;
}) {
  return (
    <label>{label} <select name={name} value={value} required
      onChange={onChange && ((e) => onChange((e.currentTarget as HTMLSelectElement).value))}>
      {(domains ?? [{ id: 'default', name: 'Default' }]).map((d) => (
        <option key={d.id} value={d.id} selected={value === undefined && d.id === initial}>{d.name}</option>))}
    </select></label>
  );
}

/** The name of the thing of id `id` in `list`, else the id. */
export const nameOf = (list: { id: string; name: string }[] | undefined, id: string | undefined) =>
  list?.find((x) => x.id === id)?.name ?? id;
