import { useEffect, useState } from 'preact/hooks';
import { createImage, deleteImage, type Image, members, ownImagesPage, uploadImage } from '../api';
import { bytes, Dialog, ErrorText, JobProgress, Pager, SelectBox, Status, useSelection } from '../components';
import type { Session } from '../session';
import { ShareDialog, type Submitted } from './share-dialog';

/** Images per page (Glance's paging: limit and marker). */
const PAGE = 25;
const DISK_FORMATS = ['qcow2', 'raw', 'vhd', 'vhdx', 'vmdk', 'vdi', 'iso', 'ploop', 'ami', 'ari', 'aki'];
const CONTAINER_FORMATS = ['bare', 'ovf', 'ova', 'ami', 'ari', 'aki', 'docker', 'compressed'];

/** My images: the project's own images, a page at a time; create and upload, share, delete. */
export function ImagesView({ session }: { session: Session }) {
  // markers[i]: the marker that reads page i (undefined for the first); the last entry, when set, reads the next.
  const [markers, setMarkers] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const [images, setImages] = useState<Image[]>();
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [error, setError] = useState<unknown>();
  const [dialog, setDialog] = useState<'create' | 'share' | 'delete'>();
  const [job, setJob] = useState<Submitted>();
  const [loads, setLoads] = useState(0);
  const selection = useSelection();

  useEffect(() => {
    let live = true;
    setImages(undefined);
    ownImagesPage(session, PAGE, markers[page]).then((p) => {
      if (!live) return;
      setImages(p.items);
      setMarkers((m) => [...m.slice(0, page + 1), p.next]);
      // Member counts: the members of each image on the page (Glance has no count in the image).
      for (const i of p.items) {
        members(session, i.id).then((ms) => live && setCounts((c) => ({ ...c, [i.id]: ms.length })), () => {});
      }
    }, setError);
    return () => { live = false; };
  }, [page, loads]);

  const reload = () => { selection.clear(); setLoads((n) => n + 1); };
  const chosen = [...selection.selected];
  const more = markers.length > page + 1 && markers[page + 1] !== undefined;
  return (
    <>
      <h1>My images</h1>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setDialog('create')}>Create image</button>
        <button type="button" disabled={chosen.length === 0} onClick={() => setDialog('share')}>Share {chosen.length || ''}</button>
        <button type="button" class="danger" disabled={chosen.length === 0} onClick={() => setDialog('delete')}>Delete {chosen.length || ''}</button>
      </div>
      <ErrorText error={error} />
      {job && <JobProgress key={job.jobId} session={session} jobId={job.jobId} total={job.total} onDone={reload} onDismiss={() => setJob(undefined)} />}
      <table>
        <caption>Images of {session.project.name}{images === undefined ? ' (loading…)' : ''}</caption>
        <thead>
          <tr>
            <th scope="col"><SelectBox label="Select all on this page" checked={!!images?.length && images.every((i) => selection.has(i.id))}
              onChange={(on) => selection.setAll((images ?? []).map((i) => i.id), on)} /></th>
            <th scope="col">Name</th><th scope="col">Status</th><th scope="col" class="num">Size</th>
            <th scope="col">Visibility</th><th scope="col" class="num">Members</th><th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(images ?? []).map((i) => (
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
      <Pager label="Images" page={page} pages={page + 1} more={more} onPage={setPage} />
      {dialog === 'create' && <CreateDialog session={session} onClose={() => setDialog(undefined)}
        onCreated={() => { setDialog(undefined); setPage(0); reload(); }} />}
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
