import { type TSchema, Type } from '@sinclair/typebox';
import { PROJECT_ID_RE, UUID_RE } from '../../domain/clock.js';
import type { RequestContext } from '../../domain/context.js';
import { clip } from '../../domain/clip.js';
import { NO_CONTROL_PATTERN } from '../../domain/control.js';
import { DOMAIN_ID_RE, NODE_REF_PATTERN, parseNodeRef } from '../../domain/organization.js';
import { isMemberId, MAX_MEMBER_ID } from '../../domain/member.js';
import {
  emptyBody, imageIdIncorrect, invalidRequest, projectIdIncorrect, projectMismatch,
} from '../../errors/catalogue.js';
import type { BatchPairsInput, UpdatePayload } from '../../services/batch-member-service.js';

/** Batch limits: the largest request one job takes (ids given twice count once). */
export const MAX_IMAGES = 1000;
export const MAX_PROJECTS = 1000;

const orNull = (schema: TSchema) => Type.Union([schema, Type.Null()]);
const IMAGES = Type.Array(Type.String({ pattern: UUID_RE.source }),
  { minItems: 1, maxItems: MAX_IMAGES, description: 'Image ids (an id given twice counts once)' });
const projectId = (description: string) => Type.String({ pattern: PROJECT_ID_RE.source, description });
const targets = (items: TSchema, description: string) =>
  Type.Optional(orNull(Type.Array(items, { maxItems: MAX_PROJECTS, description })));

/**
 * BatchAddMembers `POST` and BatchDeleteMembers `DELETE /v1/cloudimages/members`: every image with every project,
 * account and organization node. Two rules no schema keyword says: at least one target, and at most MAX_PROJECTS
 * targets in all.
 */
export const PAIRS_BODY = Type.Object({
  images: IMAGES,
  projects: targets(projectId('A project to share the images with'), 'Project ids (an id given twice counts once)'),
  domains: targets(Type.String({ pattern: DOMAIN_ID_RE.source }), 'Account (domain) ids: every project of each'),
  organizations: targets(Type.String({ pattern: NODE_REF_PATTERN, maxLength: MAX_MEMBER_ID }), 'Organization URNs '
    + '(an organization, its root or an OU: every project of every account below it); bare o-/r-/ou- ids too'),
}, { description: `At least one of projects, domains and organizations is not empty; at most ${MAX_PROJECTS} `
  + 'targets in all.' });

/** BatchUpdateMembers `PUT /v1/cloudimages/members`: the recipient accepts or rejects images shared with it. */
export const UPDATE_BODY = Type.Object({
  images: IMAGES,
  project_id: projectId('The caller\'s own project (any project, for admins)'),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
  vault_id: Type.Optional(orNull(Type.String({
    minLength: 1, maxLength: MAX_MEMBER_ID, pattern: NO_CONTROL_PATTERN,
    description: 'The CBR vault that receives a full-ECS image (mandatory to accept one made from a CBR backup)',
  }))),
});

function requireBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') throw emptyBody();
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request message format is invalid.');
  return body as Record<string, unknown>;
}

/** A non-empty array of strings, without duplicates (order kept). */
function stringList(body: Record<string, unknown>, key: string, max: number, required: boolean): string[] {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw invalidRequest(`The request message format is invalid: ${key} is required.`);
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalidRequest(`The request message format is invalid: ${key} must be an array of strings.`);
  }
  const unique = [...new Set(value as string[])];
  if (required && unique.length === 0) throw invalidRequest(`The request message format is invalid: ${key} is empty.`);
  if (unique.length > max) throw invalidRequest(`The request message format is invalid: at most ${max} ${key} per request.`);
  return unique;
}

function imageIds(body: Record<string, unknown>): string[] {
  const images = stringList(body, 'images', MAX_IMAGES, true);
  for (const id of images) if (!UUID_RE.test(id)) throw imageIdIncorrect(id);
  return images;
}

/** The projects, accounts and organization nodes of a PAIRS_BODY: at least one, at most MAX_PROJECTS in all. */
function targetIds(body: Record<string, unknown>): Omit<BatchPairsInput, 'images'> {
  const projects = stringList(body, 'projects', MAX_PROJECTS, false);
  const domains = stringList(body, 'domains', MAX_PROJECTS, false);
  const organizations = stringList(body, 'organizations', MAX_PROJECTS, false);
  const count = projects.length + domains.length + organizations.length;
  if (count === 0) {
    throw invalidRequest('The request message format is invalid: projects, domains and organizations are all empty.');
  }
  if (count > MAX_PROJECTS) {
    throw invalidRequest(`The request message format is invalid: at most ${MAX_PROJECTS} projects, domains and `
      + 'organizations per request.');
  }
  for (const p of projects) if (!PROJECT_ID_RE.test(p)) throw projectIdIncorrect(p);
  for (const d of domains) {
    if (!DOMAIN_ID_RE.test(d)) throw invalidRequest(`The request message format is invalid: domain ID ${clip(d)} is incorrect.`);
  }
  for (const o of organizations) {
    if (o.length > MAX_MEMBER_ID || !parseNodeRef(o)) {
      throw invalidRequest(`The request message format is invalid: organization URN ${clip(o)} is incorrect.`);
    }
  }
  return { projects, domains, organizations };
}

/** A PAIRS_BODY's images and targets, or its first failing check in IMS's order. */
export function parsePairsBody(body: unknown): BatchPairsInput {
  const b = requireBody(body);
  const images = imageIds(b);
  return { images, ...targetIds(b) };
}

/**
 * An UPDATE_BODY as the job's payload, or its first failing check in IMS's order. Its project_id must be
 * the caller's (as a `{project_id}` in a path must be: plugin.ts), except for admins.
 */
export function parseUpdateBody(body: unknown, ctx: RequestContext): UpdatePayload {
  const b = requireBody(body);
  const images = imageIds(b);
  const projectId = b.project_id;
  if (typeof projectId !== 'string' || projectId === '') {
    throw invalidRequest('The request message format is invalid: project_id is required.');
  }
  if (!PROJECT_ID_RE.test(projectId)) throw projectIdIncorrect(projectId);
  if (projectId !== ctx.projectId && !ctx.isAdmin) throw projectMismatch(': project_id must be your own project');
  const status = b.status;
  if (status !== 'accepted' && status !== 'rejected') {
    throw invalidRequest('The request message format is invalid: status must be "accepted" or "rejected".');
  }
  const vault = b.vault_id;
  if (vault !== undefined && vault !== null && (typeof vault !== 'string' || !isMemberId(vault))) {
    throw invalidRequest(`The request message format is invalid: vault_id must be a string of 1 to ${MAX_MEMBER_ID} `
      + 'characters, none of them a control character.');
  }
  return { images, project_id: projectId, status, ...(vault ? { vault_id: vault as string } : {}) };
}
