import type { Session } from '../session';

export function SharedView(_: { session: Session }) {
  return <h1>Shared with me</h1>;
}
