import { useEffect, useState } from 'preact/hooks';
import { SESSION_ENDED, signOut } from './api';
import { ErrorText } from './components';
import { useRoute } from './route';
import { isAdmin, loadSession, saveSession, type Session } from './session';
import { AdminView } from './views/admin';
import { ImageDetail } from './views/image-detail';
import { ImagesView } from './views/images';
import { JobsView } from './views/jobs';
import { SharedView } from './views/shared';
import { SignIn } from './views/sign-in';

const VIEWS = [
  ['shared', 'Shared with me'],
  ['images', 'My images'],
  ['jobs', 'Jobs'],
  ['admin', 'Admin'],
] as const;

/** The console: sign in, then one view at a time, named by the address (#/shared, #/images/<id>, ...). */
export function App() {
  const [session, setSession] = useState(loadSession);
  const [error, setError] = useState<unknown>();
  const [ended, setEnded] = useState(false);
  const route = useRoute();
  const start = (s: Session | undefined) => { saveSession(s); setSession(s); setEnded(false); };

  useEffect(() => {
    // The server refused the token (revoked, expired, user or project disabled): sign in again.
    const end = () => { start(undefined); setEnded(true); };
    addEventListener(SESSION_ENDED, end);
    return () => removeEventListener(SESSION_ENDED, end);
  }, []);

  useEffect(() => {
    // The token's expiry ends the session: the next call would be refused anyway.
    if (!session) return;
    const t = setTimeout(() => { start(undefined); setEnded(true); }, Math.max(0, Date.parse(session.expiresAt) - Date.now()));
    return () => clearTimeout(t);
  }, [session]);

  if (!session) return <SignIn onSignedIn={start} ended={ended} />;
  const admin = isAdmin(session);
  const view = route[0] ?? 'shared';
  const out = async () => {
    try {
      await signOut(session);
      start(undefined);
    } catch (err) {
      setError(err);
    }
  };
  let main;
  if (view === 'images' && route[1]) main = <ImageDetail session={session} id={route[1]} />;
  else if (view === 'images') main = <ImagesView session={session} />;
  else if (view === 'jobs') main = <JobsView session={session} />;
  else if (view === 'admin' && admin) main = <AdminView session={session} section={route[1]} />;
  else if (view === 'admin') {
    main = <><h1>Not available</h1><p>This view is for administrators: your token has no admin role.</p></>;
  }
  else main = <SharedView session={session} />;
  return (
    <div class="layout">
      <header class="top">
        <span class="brand">ims</span>
        <nav aria-label="Views">
          <ul>
            {VIEWS.filter(([v]) => v !== 'admin' || admin).map(([v, label]) => (
              <li key={v}><a href={`#/${v}`} aria-current={view === v ? 'page' : undefined}>{label}</a></li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.user.name} in <strong>{session.project.name}</strong>
          {admin && ' (admin)'}
          <button type="button" class="link" onClick={out}>Sign out</button>
        </span>
      </header>
      <ErrorText error={error} />
      <main id="main" tabIndex={-1}>{main}</main>
    </div>
  );
}
