/** At most this many characters of a caller's value appear in an error message. */
export const CLIP_LENGTH = 64;

/** A caller's value as an error message may quote it: its first CLIP_LENGTH characters, then `...`. */
export const clip = (value: string): string =>
  (value.length > CLIP_LENGTH ? `${value.slice(0, CLIP_LENGTH)}...` : value);
