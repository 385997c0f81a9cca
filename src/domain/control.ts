/** C0 control characters and DEL: none belongs in an id, a name, a key or a path parameter (NUL cannot be stored). */
const CONTROLS = '\\u0000-\\u001f\\u007f';
const CONTROL = new RegExp(`[${CONTROLS}]`);

export const hasControl = (s: string): boolean => CONTROL.test(s);

/** The same rule as a JSON-schema pattern, for request schemas: a string without control characters. */
export const NO_CONTROL_PATTERN = `^[^${CONTROLS}]*$`;
