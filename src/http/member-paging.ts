import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../errors/catalogue.js';
import type { MemberRow } from '../repos/member-repo.js';
import type { MemberService } from '../services/member-service.js';
import { singleQuery } from './url-guard.js';

/** Huawei's member-list marker: the last member id of the page before, base64-encoded. */
function decodeMarker(marker: string): string {
  const decoded = Buffer.from(marker, 'base64').toString('utf8');
  if (!marker || Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') !== marker.replace(/=+$/, '')) {
    throw invalidRequest('The marker is invalid: it must be base64-encoded.');
  }
  return decoded;
}

/** An IMS page's `limit`: an integer from 1 to `max`, else 400 IMG.0001. */
export function pageLimit(raw: string, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) throw invalidRequest(`The limit must be an integer from 1 to ${max}.`);
  return n;
}

/**
 * A page of an image's members as Huawei pages them (ListImageMembers, GlanceListImageMembers): `limit` 1 to 1000
 * (`defaultLimit` without one: undefined for every member, as Glance lists them) after the base64 `marker`.
 */
export async function memberPage(members: MemberService, request: FastifyRequest, imageId: string,
  defaultLimit?: number): Promise<{ rows: readonly MemberRow[]; more: boolean }> {
  const rawLimit = singleQuery(request, 'limit');
  const marker = singleQuery(request, 'marker');
  const limit = rawLimit === undefined ? defaultLimit : pageLimit(rawLimit, 1000);
  const after = marker === undefined ? undefined : decodeMarker(marker);
  if (limit === undefined && after === undefined) return { rows: await members.list(request.ctx, imageId), more: false };
  return members.page(request.ctx, imageId, limit ?? 1000, after);
}
