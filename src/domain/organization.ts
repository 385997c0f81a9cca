import { randomBytes } from 'node:crypto';

/**
 * Accounts and organizations, as Huawei Organizations has them. An account is a Keystone domain; an
 * organization has one management account, one root, OUs nested under the root, and member accounts each
 * placed under the root or an OU. An account belongs to at most one organization.
 */

/** Who a project reaches as a sharing target: itself, its account, and the organization nodes above it. */
export interface Reach {
  projectId: string;
  domainId: string;
  /**
   * Every organization node covering the project's account, nearest first: the unit it sits in (an OU or the
   * root), that OU's ancestors, the root, then the organization. Empty when the account is in no organization.
   */
  orgNodes: string[];
}

export type OrgNodeKind = 'organization' | 'root' | 'ou';

/** An organization, its root or one of its OUs. */
export interface OrgNode {
  id: string;
  kind: OrgNodeKind;
  urn: string;
  orgId: string;
  managementDomainId: string;
}

/** Huawei's id forms: `o-`, `r-` and `ou-` with lowercase letters and digits (ours have 32). */
export const ORG_ID_RE = /^o-[0-9a-z]{4,32}$/;
export const ROOT_ID_RE = /^r-[0-9a-z]{4,32}$/;
export const OU_ID_RE = /^ou-[0-9a-z]{8,32}$/;
/** A `parent_id`: the root or an OU (Huawei's pattern). */
export const PARENT_ID_RE = /^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{8,32})$/;

/** An account (domain) id: Keystone's 32 lowercase hex digits, or `default`. */
export const DOMAIN_ID_RE = /^(?:[0-9a-f]{32}|default)$/;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** The last id's time part (microseconds): ids made later in this process sort after it. */
let lastMicros = 0;

/**
 * A new id: the prefix and 32 lowercase letters and digits, the first 11 a time in microseconds (later ids
 * sort after earlier ones, so listings by id are in creation order), the rest random.
 */
export function newNodeId(prefix: 'o' | 'r' | 'ou' | 'h'): string {
  lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
  const random = [...randomBytes(21)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${prefix}-${lastMicros.toString(36).padStart(11, '0')}${random}`;
}

export const organizationUrn = (managementDomainId: string, orgId: string) =>
  `organizations::${managementDomainId}:organization:${orgId}`;

/** The URN of something inside an organization: `organizations::{management}:{kind}:{org}/{id}`. */
export const memberUrn = (kind: 'root' | 'ou' | 'account' | 'handshake', managementDomainId: string, orgId: string,
  id: string) => `organizations::${managementDomainId}:${kind}:${orgId}/${id}`;

/** The URN of a node. */
export function nodeUrn(kind: OrgNodeKind, managementDomainId: string, orgId: string, id: string): string {
  return kind === 'organization' ? organizationUrn(managementDomainId, orgId)
    : memberUrn(kind, managementDomainId, orgId, id);
}

/** The kind of a bare node id, or undefined when it is none. */
export function kindOfId(id: string): OrgNodeKind | undefined {
  if (ORG_ID_RE.test(id)) return 'organization';
  if (ROOT_ID_RE.test(id)) return 'root';
  return OU_ID_RE.test(id) ? 'ou' : undefined;
}

const URN_RE = /^organizations::[^:/]+:(organization|root|ou):(o-[0-9a-z]+)(?:\/([a-z]+-[0-9a-z]+))?$/;

/** Exactly what `parseNodeRef` accepts, as one pattern (for request schemas). */
export const NODE_REF_PATTERN = `^(?:${[ORG_ID_RE, ROOT_ID_RE, OU_ID_RE].map((re) => re.source.slice(1, -1)).join('|')}`
  + `|organizations::[^:/]+:(?:organization:${ORG_ID_RE.source.slice(1, -1)}`
  + `|root:o-[0-9a-z]+/${ROOT_ID_RE.source.slice(1, -1)}|ou:o-[0-9a-z]+/${OU_ID_RE.source.slice(1, -1)}))$`;

/**
 * The node a bare id or a URN names: its id and kind, and whether it was a URN (which must then equal the
 * node's own URN exactly: the caller compares). Undefined for anything else.
 */
export function parseNodeRef(idOrUrn: string): { id: string; kind: OrgNodeKind; urn: boolean } | undefined {
  const m = URN_RE.exec(idOrUrn);
  if (!m) {
    const kind = kindOfId(idOrUrn);
    return kind && { id: idOrUrn, kind, urn: false };
  }
  const kind = m[1] as OrgNodeKind;
  const id = kind === 'organization' ? m[2]! : m[3];
  if (id === undefined || kindOfId(id) !== kind || (kind === 'organization' && m[3] !== undefined)) return undefined;
  return { id, kind, urn: true };
}
