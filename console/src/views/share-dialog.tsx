import { useState } from 'preact/hooks';
import { parseIds, shareImages, type TargetKind } from '../api';
import { Dialog, ErrorText } from '../components';
import type { Session } from '../session';

const KINDS: [TargetKind, string, string][] = [
  ['projects', 'Projects', 'project IDs (32 hex digits)'],
  ['domains', 'Accounts', 'account (domain) IDs: every project of each'],
  ['organizations', 'Organizations', 'organization, root or OU URNs or IDs: every project below each'],
];

export interface Submitted {
  jobId: string;
  /** The pairs the job has to do, when known (projects only: accounts and organizations expand on the server). */
  total?: number;
}

/** Shares images (or removes them from targets) with many projects, accounts or organizations: one batch job. */
export function ShareDialog({ session, images, remove = false, onClose, onSubmitted }: {
  session: Session; images: string[]; remove?: boolean; onClose: () => void; onSubmitted: (s: Submitted) => void;
}) {
  const [kind, setKind] = useState<TargetKind>('projects');
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const ids = parseIds(text);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const jobId = await shareImages(session, images, kind, ids, remove);
      onSubmitted({ jobId, total: kind === 'projects' ? images.length * ids.length : undefined });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const verb = remove ? 'Stop sharing' : 'Share';
  return (
    <Dialog title={`${verb} ${images.length} image${images.length === 1 ? '' : 's'}`} onClose={onClose}>
      <form onSubmit={submit} aria-busy={busy}>
        <fieldset>
          <legend>{remove ? 'Remove' : 'Share with'}</legend>
          {KINDS.map(([k, label]) => (
            <label key={k}><input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {label}</label>
          ))}
        </fieldset>
        <label>
          {KINDS.find(([k]) => k === kind)![1]} to {remove ? 'remove' : 'share with'}
          <textarea rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} required
            aria-describedby="ids-hint" />
        </label>
        <p class="hint" id="ids-hint">Paste {KINDS.find(([k]) => k === kind)![2]}, separated by spaces, commas or new lines.
          {ids.length > 0 && ` ${ids.length} distinct.`}</p>
        <ErrorText error={error} />
        <div class="toolbar">
          <button type="submit" disabled={busy || ids.length === 0}>{verb}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
