import sjson from 'secure-json-parse';
import { AppError } from '../errors/app-error.js';

/** Nesting deeper than this is refused: no API body of ours goes past 6 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Checks a parsed body without recursion (a deep body cannot exhaust the stack): at most MAX_JSON_DEPTH
 * levels, and no NUL character in any string or key (PostgreSQL's text cannot hold one, and SQLite would:
 * refused alike on both). Returns the reason it is refused, or undefined.
 */
function refusal(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return 'A string in the request body contains a NUL character (\\u0000).';
    } else if (typeof v === 'object' && v !== null) {
      if (depth > MAX_JSON_DEPTH) return `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`;
      if (Array.isArray(v)) {
        for (const item of v) stack.push([item, depth + 1]);
      } else {
        for (const [key, item] of Object.entries(v)) {
          if (key.includes('\u0000')) return 'A key in the request body contains a NUL character (\\u0000).';
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
 * MAX_JSON_DEPTH and NUL characters are a 400 (with `img`, the IMS code, where the dialect has codes).
 */
export function parseJsonBody(text: string, img?: string): unknown {
  if (text.length === 0) return undefined;
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const poisoned = err instanceof SyntaxError && /prototype/.test(err.message);
    throw new AppError('bad_request', poisoned ? 'The request body has a forbidden "__proto__" or "constructor" key.'
      : 'Malformed JSON in request body.', { img });
  }
  const refused = refusal(value);
  if (refused) throw new AppError('bad_request', refused, { img });
  return value;
}
