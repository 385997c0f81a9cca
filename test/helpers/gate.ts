/** A promise and the function that resolves it: holds a flow at a point the test chooses. */
export function gate<T = void>(): { wait: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const wait = new Promise<T>((resolve) => { open = resolve; });
  return { wait, open };
}
