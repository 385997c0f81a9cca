import { useState } from 'preact/hooks';
import { signIn } from '../api';
import { ErrorText } from '../components';
import type { Session } from '../session';

/** Keystone password sign-in, scoped to a project (by name, in the user's domain or another). */
export function SignIn({ onSignedIn, ended = false }: { onSignedIn: (s: Session) => void; ended?: boolean }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const v = (k: string) => String(f.get(k) ?? '').trim();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn({ domain: v('domain'), user: v('user'), password: String(f.get('password') ?? ''),
        project: v('project'), projectDomain: v('projectDomain') || undefined }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in" id="main">
      <h1>Sign in to ims</h1>
      {ended && <p class="notice" role="status">Your session has ended (the token expired or was revoked): sign in again.</p>}
      <form onSubmit={submit} aria-busy={busy}>
        <label>User <input name="user" autocomplete="username" required autofocus /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <label>Project <input name="project" required /></label>
        <label>Domain (account) <input name="domain" defaultValue="Default" required /></label>
        <details>
          <summary>Project in another domain</summary>
          <label>Project domain <input name="projectDomain" placeholder="the user's domain" /></label>
        </details>
        <ErrorText error={error} />
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p class="hint">The token is kept in this tab only and revoked when you sign out.</p>
    </main>
  );
}
