/** The signed-in user: the token and what its body said. Kept in this tab's sessionStorage only, never a cookie. */
export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; name: string; domain: { id: string; name: string } };
  project: { id: string; name: string; domain: { id: string; name: string } };
  roles: string[];
}

const KEY = 'ims.console.session';

export const isAdmin = (s: Session) => s.roles.includes('admin');

export function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && Date.parse(s.expiresAt) > Date.now() ? s : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}
