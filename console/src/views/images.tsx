import { useEffect, useState } from 'preact/hooks';
import { createImage, deleteImage, members, ownImagesPage, uploadImage } from '../api';
import { bytes, Dialog, ErrorText, JobProgress, SelectBox, Status, useApiPages, useSelection } from '../components';
import type { Session } from '../session';
import { ShareDialog, type Submitted } from './share-dialog';

/** Images per page (Glance's paging: limit and marker). */
const PAGE = 25;
const DISK_FORMATS = ['qcow2', 'raw', 'vhd', 'vhdx', 'vmdk', 'vdi', 'iso', 'ploop', 'ami', 'ari', 'aki'];
const CONTAINER_FORMATS = ['bare', 'ovf', 'ova', 'ami', 'ari', 'aki', 'docker', 'compressed'];

/** My images: the project's own images, a page at a time; create and upload, share, delete. */
export function ImagesView({ session }: { session: Session }) {
  const list = useApiPages((limit, marker) => ownImagesPage(session, limit, marker), 'Images', PAGE);
  const images = list.items;
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [dialog, setDialog] = useState<'create' | 'share' | 'delete'>();
  const [job, setJob] = useState<Submitted>();
  const selection = useSelection();

  useEffect(() => {
    // Member counts: the members of each image on the page (Glance has no count in the image).
    let live = true;
    for (const i of list.items) {
      members(session, i.id).then((ms) => live && setCounts((c) => ({ ...c, [i.id]: ms.length })), () => {});
    }
    return () => { live = false; };
  }, [list.items]);

  const reload = () => { selection.clear(); list.reload(); };
  const chosen = [...selection.selected];
  return (
    <>
      <h1>My images</h1>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setDialog('create')}>Create image</button>
        <button type="button" disabled={chosen.length === 0} onClick={() => setDialog('share')}>Share {chosen.length || ''}</button>
        <button type="button" class="danger" disabled={chosen.length === 0} onClick={() => setDialog('delete')}>Delete {chosen.length || ''}</button>
      </div>
      <ErrorText error={list.error} />
      {job && <JobProgress key={job.jobId} session={session} jobId={job.jobId} total={job.total} names={Object.fromEntries(images.map((i) => [i.id, i.name]))} onDone={reload} onDismiss={() => setJob(undefined)} />}
      <table>
        <caption>Images of {session.project.name}{list.loading ? ' (loading…)' : ''}</caption>
        <thead>
          <tr>
            <th scope="col"><SelectBox label="Select all on this page" checked={images.length > 0 && images.every((i) => selection.has(i.id))}
              onChange={(on) => selection.setAll(images.map((i) => i.id), on)} /></th>
            <th scope="col">Name</th><th scope="col">Status</th><th scope="col" class="num">Size</th>
            <th scope="col">Visibility</th><th scope="col" class="num">Members</th><th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {images.map((i) => (
            <tr key={i.id}>
              <td><SelectBox label={`Select ${i.name ?? i.id}`} checked={selection.has(i.id)} onChange={(on) => selection.set(i.id, on)} /></td>
              <td><a href={`#/images/${i.id}`}>{i.name || i.id}</a></td>
              <td><Status value={i.status} /></td>
              <td class="num">{bytes(i.size)}</td>
              <td>{i.visibility}</td>
              <td class="num">{counts[i.id] ?? '…'}</td>
              <td>{new Date(i.created_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.pager}
      {dialog === 'create' && <CreateDialog session={session} onClose={() => setDialog(undefined)}
        onCreated={() => { setDialog(undefined); list.first(); reload(); }} />}
      {dialog === 'share' && <ShareDialog session={session} images={chosen} onClose={() => setDialog(undefined)}
        onSubmitted={(s) => { setDialog(undefined); setJob(s); }} />}
      {dialog === 'delete' && <DeleteDialog session={session} images={chosen} onClose={() => setDialog(undefined)}
        onDeleted={() => { setDialog(undefined); reload(); }} />}
    </>
  );
}

/** Creates an image and uploads its data, with a progress bar. */
function CreateDialog({ session, onClose, onCreated }: { session: Session; onClose: () => void; onCreated: () => void }) {
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState<{ sent: number; total: number }>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const file = f.get('file') as File | null;
    setError(undefined);
    try {
      const image = await createImage(session, {
        name: String(f.get('name')), disk_format: String(f.get('disk_format')),
        container_format: String(f.get('container_format')), visibility: String(f.get('visibility')),
      });
      if (file && file.size > 0) {
        setSent({ sent: 0, total: file.size });
        await uploadImage(session, image.id, file, (s, total) => setSent({ sent: s, total }));
      }
      onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Dialog title="Create image" onClose={onClose}>
      <form onSubmit={submit} aria-busy={sent !== undefined}>
        <label>Name <input name="name" required /></label>
        <label>Disk format <select name="disk_format">{DISK_FORMATS.map((d) => <option key={d}>{d}</option>)}</select></label>
        <label>Container format <select name="container_format">{CONTAINER_FORMATS.map((d) => <option key={d}>{d}</option>)}</select></label>
        <label>Visibility <select name="visibility"><option>private</option><option>shared</option></select></label>
        <label>Image file <input name="file" type="file" /></label>
        {sent && (
          <p>
            <progress max={Math.max(1, sent.total)} value={sent.sent} aria-label="Upload progress" />
            <span aria-live="polite"> {bytes(sent.sent)} of {bytes(sent.total)} uploaded</span>
          </p>
        )}
        <ErrorText error={error} />
        <div class="toolbar">
          <button type="submit" disabled={sent !== undefined && !error}>Create</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Deletes images after confirmation; each refusal (a protected image, ...) is shown with its image. */
export function DeleteDialog({ session, images, onClose, onDeleted }: {
  session: Session; images: string[]; onClose: () => void; onDeleted: () => void;
}) {
  const [errors, setErrors] = useState<[string, unknown][]>([]);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    const failed: [string, unknown][] = [];
    for (const id of images) await deleteImage(session, id).catch((err) => failed.push([id, err]));
    setBusy(false);
    if (failed.length === 0) onDeleted();
    else setErrors(failed);
  };
  return (
    <Dialog title={`Delete ${images.length} image${images.length === 1 ? '' : 's'}?`} onClose={onClose}>
      <p>Deleting an image removes its data and its members. It cannot be undone.</p>
      {errors.map(([id, err]) => <div key={id}><code>{id}</code><ErrorText error={err} /></div>)}
      <div class="toolbar">
        <button type="button" class="danger" disabled={busy} onClick={confirm}>Delete</button>
        <button type="button" onClick={onClose}>Cancel</button>
      </div>
    </Dialog>
  );
}
