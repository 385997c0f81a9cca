import { useEffect, useState } from 'preact/hooks';

/** The view the address names after `#/`: `shared`, `images/<id>`, `admin/users`, ... as its parts. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const onChange = () => setParts(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return parts;
}

export const go = (...parts: string[]) => { location.hash = `#/${parts.map(encodeURIComponent).join('/')}`; };
