import { createHash } from 'node:crypto';

/**
 * Ids derived from names, so catalog and role ids stay the same across restarts and processes: nothing to
 * keep (an md5 of a few bytes).
 */
export const stableId = (kind: string, name: string): string => createHash('md5').update(`${kind}:${name}`).digest('hex');
