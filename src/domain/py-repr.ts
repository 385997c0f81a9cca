import { clip, CLIP_LENGTH } from './clip.js';

/**
 * Python's `repr()` of a JSON value. Glance's validation messages come from jsonschema, which formats the
 * offending value with repr: `'abc' is not one of ['ami', 'ari']`, `True is not of type 'string'`.
 * Past `max` characters the rest is left out (not rendered at all: a 12 MiB value costs no more than a short one).
 */
export function pyRepr(value: unknown, max = Infinity): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyString(value, max);
  if (Array.isArray(value)) return pyItems('[', ']', value, (v) => pyRepr(v, max), max);
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return pyItems('{', '}', Object.keys(record), (k) => `${pyString(k, max)}: ${pyRepr(record[k], max)}`, max);
  }
  return String(value);
}

/**
 * A caller's value as a message quotes it, as repr or as Python's `str()` (strings as they are): at most
 * CLIP_LENGTH characters of it, then `...`.
 */
export const quoteRepr = (value: unknown): string => clip(pyRepr(value, CLIP_LENGTH));
export const quoteStr = (value: unknown): string => clip(typeof value === 'string' ? value : pyRepr(value, CLIP_LENGTH));

function pyItems<T>(open: string, close: string, items: readonly T[], each: (item: T) => string, max: number): string {
  let out = open;
  for (let i = 0; i < items.length; i++) {
    if (out.length > max) return out;
    out += `${i > 0 ? ', ' : ''}${each(items[i]!)}`;
  }
  return `${out}${close}`;
}

/** Integers as digits; floats with Python's two-digit exponent (`1e-07`, `1e+16`). */
function pyNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  const s = Math.abs(n) >= 1e16 ? n.toExponential().replace(/\.0+e/, 'e') : String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyString(s: string, max = Infinity): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (out.length > max) return `${quote}${out}`;
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16)}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}
