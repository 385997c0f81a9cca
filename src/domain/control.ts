/** C0 control characters and DEL: none belongs in an id, a name, a key or a path parameter (NUL cannot be stored). */
const CONTROL = /[\u0000-\u001f\u007f]/;

export const hasControl = (s: string): boolean => CONTROL.test(s);
