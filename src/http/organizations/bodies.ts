import type { OrganizationTable, OrgUnitTable } from '../../db/schema.js';
import { wireTime } from '../../domain/clock.js';
import { memberUrn, organizationUrn } from '../../domain/organization.js';
import type { AccountRow } from '../../repos/org-repo.js';
import type { Handshake, OrganizationView, Page } from '../../services/organization-service.js';

/** Huawei's Organizations bodies (OrganizationDto, RootDto, OrganizationalUnitDto, AccountDto, HandshakeDto). */

type Org = Pick<OrganizationTable, 'id' | 'management_domain_id'>;

export const organizationBody = (o: OrganizationView) => ({
  id: o.id, urn: organizationUrn(o.management_domain_id, o.id), management_account_id: o.management_domain_id,
  management_account_name: o.management_account_name, created_at: wireTime(o.created_at),
});

export const rootBody = (org: Org, root: OrgUnitTable) => ({
  id: root.id, urn: memberUrn('root', org.management_domain_id, org.id, root.id), name: root.name, policy_types: [],
  created_at: wireTime(root.created_at),
});

export const unitBody = (org: Org, unit: OrgUnitTable) => ({
  id: unit.id, urn: memberUrn('ou', org.management_domain_id, org.id, unit.id), name: unit.name,
  created_at: wireTime(unit.created_at),
});

export const accountBody = (org: Org, a: AccountRow) => ({
  id: a.domain_id, urn: memberUrn('account', org.management_domain_id, org.id, a.domain_id), join_method: a.join_method,
  status: 'active', joined_at: wireTime(a.joined_at), name: a.name,
});

export const handshakeBody = (h: Handshake) => ({
  id: h.id, urn: memberUrn('handshake', h.org.management_domain_id, h.org.id, h.id), updated_at: wireTime(h.at),
  created_at: wireTime(h.at), management_account_id: h.org.management_domain_id,
  management_account_name: h.org.management_account_name, organization_id: h.org.id, notes: h.notes, target: h.target,
  status: 'accepted',
});

/** A listing's `page_info`: `next_marker` (the last id) only when more follow. */
export function pageInfo<T>(page: Page<T>, idOf: (row: T) => string) {
  const last = page.rows[page.rows.length - 1];
  return { ...(page.more && last ? { next_marker: idOf(last) } : {}), current_count: page.rows.length };
}
