import type { Session } from '../session';

export function JobsView(_: { session: Session }) {
  return <h1>Jobs</h1>;
}
