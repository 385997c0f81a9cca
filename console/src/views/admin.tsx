import type { Session } from '../session';

export function AdminView(_: { session: Session; section?: string }) {
  return <h1>Admin</h1>;
}
