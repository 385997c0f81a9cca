import type { Session } from '../session';

export function ImageDetail(_: { session: Session; id: string }) {
  return <h1>Image</h1>;
}
