import type { Db } from '../db/prepared.js';
import type { Reach } from '../domain/organization.js';

/**
 * The setting that exists once any image was shared with an account or an organization node (MemberRepo writes
 * it with such a membership): until then no list needs a project's reach.
 */
export const INDIRECT_MEMBERS = 'indirect_members';

/** Where a project's reach comes from (OrgRepo.reachOf): read anew each time, so a move is seen at once. */
export interface ReachSource {
  reachOf(projectId: string, trx?: Db): Promise<Reach | undefined>;
}

/**
 * The member ids a project answers to, nearest first: itself, its account, then the organization nodes above
 * its account. A share with any of them reaches the project; the nearest one is its membership.
 */
export async function reachIds(source: ReachSource, projectId: string, trx?: Db): Promise<string[]> {
  const reach = await source.reachOf(projectId, trx);
  return reach ? [projectId, reach.domainId, ...reach.orgNodes] : [projectId];
}

