import type { Session } from '../session';

export function ImagesView(_: { session: Session }) {
  return <h1>My images</h1>;
}
