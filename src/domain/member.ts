import type { ImageMemberTable } from '../db/schema.js';
import { wireTime } from './clock.js';
import { hasControl } from './control.js';

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export const isMemberStatus = (s: unknown): s is MemberStatus =>
  typeof s === 'string' && (MEMBER_STATUSES as readonly string[]).includes(s);

/** Longest member id and vault id: Glance's and IMS's columns hold 255 characters. */
export const MAX_MEMBER_ID = 255;

/** A member id (a project id, as IMS and tempest use them, or any name Glance accepts) fit to look up or store. */
export const isMemberId = (s: string): boolean => s.length > 0 && s.length <= MAX_MEMBER_ID && !hasControl(s);

/** A full-ECS image (`__whole_image=true`). */
export const isWholeImage = (extra: Record<string, string>) => extra.__whole_image === 'true';

/** Members allowed on this image: the whole-image quota for full-ECS images; negative means unlimited. */
export function memberQuota(extra: Record<string, string>, quotas: { member: number; wholeImage: number }): number {
  return isWholeImage(extra) ? quotas.wholeImage : quotas.member;
}

export const withinQuota = (quota: number, count: number) => quota < 0 || count < quota;

/** Whom an image is shared with: a project, an account (a domain), or an organization, its root or an OU. */
export const MEMBER_TYPES = ['project', 'domain', 'organization'] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];

/**
 * The status a new member starts with: a project or an account accepts or rejects the share; an organization's
 * accounts use it without accepting it (docs/compatibility.md).
 */
export const initialStatus = (type: MemberType): MemberStatus => (type === 'organization' ? 'accepted' : 'pending');

/**
 * The member object of Huawei IMS, native and v1 alike: Glance's six keys, `member_type`, and for an organization
 * member its `urn`.
 */
export function memberBody(m: ImageMemberTable) {
  return {
    created_at: wireTime(m.created_at),
    image_id: m.image_id,
    member_id: m.member_id,
    schema: '/v2/schemas/member',
    status: m.status,
    updated_at: wireTime(m.updated_at),
    member_type: m.member_type,
    ...(m.urn === null ? {} : { urn: m.urn }),
  };
}
