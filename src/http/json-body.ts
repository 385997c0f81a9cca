import sjson from 'secure-json-parse';
import { AppError } from '../errors/app-error.js';

/** Nesting deeper than this is refused: no API body of ours goes past 6 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * A NUL character (PostgreSQL's text cannot hold one, and SQLite would), or a lone surrogate (`"\ud800"`: not
 * Unicode; stored as U+FFFD in a column, kept as an escape in JSON text, which PostgreSQL's jsonb then refuses).
 */
const UNSTORABLE = /[\u0000\ud800-\udfff]/u;

function unstorable(what: 'string' | 'key', s: string): string {
  return s.includes('\u0000') ? `A ${what} in the request body contains a NUL character (\\u0000).`
    : `A ${what} in the request body contains a lone surrogate (not valid Unicode).`;
}

/**
 * Checks a parsed body without recursion (a deep body cannot exhaust the stack): at most MAX_JSON_DEPTH
 * levels, and no NUL character or lone surrogate in any string or key (refused alike on both engines).
 * Returns the reason it is refused, or undefined.
 */
function refusal(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return unstorable('string', v);
    } else if (typeof v === 'object' && v !== null) {
      if (depth > MAX_JSON_DEPTH) return `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`;
      if (Array.isArray(v)) {
        for (const item of v) stack.push([item, depth + 1]);
      } else {
        for (const [key, item] of Object.entries(v)) {
          if (UNSTORABLE.test(key)) return unstorable('key', key);
          stack.push([item, depth + 1]);
        }
      }
    }
  }
  return undefined;
}

/**
 * A JSON request body: empty text is no body (clients send Content-Type: application/json on GET and
 * DELETE); malformed JSON, `__proto__` and `constructor.prototype` keys (prototype poisoning), nesting past
 * MAX_JSON_DEPTH, NUL characters and lone surrogates are a 400 (`IMG.0001` in the IMS dialect, its code for
 * a malformed request).
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const poisoned = err instanceof SyntaxError && /prototype/.test(err.message);
    throw new AppError('bad_request', poisoned ? 'The request body has a forbidden "__proto__" or "constructor" key.'
      : 'Malformed JSON in request body.');
  }
  const refused = refusal(value);
  if (refused) throw new AppError('bad_request', refused);
  return value;
}
