import { Type } from '@sinclair/typebox';
import { NO_CONTROL_PATTERN } from '../../domain/control.js';
import { isMemberId, isMemberStatus, MAX_MEMBER_ID, MEMBER_STATUSES } from '../../domain/member.js';
import { type AppError, badRequest } from '../../errors/app-error.js';
import { invalidRequest, memberIdInvalid, memberStatusInvalid } from '../../errors/catalogue.js';
import type { StatusChange } from '../../services/member-service.js';

const memberId = (description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_MEMBER_ID, pattern: NO_CONTROL_PATTERN, description });

/** `POST /v2/images/{id}/members`; other keys are ignored. */
export const NEW_MEMBER_BODY = Type.Object({ member: memberId('The project to share the image with') });

/** `PUT /v2/images/{id}/members/{member}`; other keys are ignored. */
export const STATUS_BODY = Type.Object({
  status: Type.Union(MEMBER_STATUSES.map((status) => Type.Literal(status))),
  vault_id: Type.Optional(Type.Union([
    memberId('IMS: the CBR vault that receives a full-ECS image (mandatory to accept one made from a CBR backup)'),
    Type.Null(),
  ])),
});

/** Glance's deserializer steps 1-4: a body must be there, be JSON, and be a dict (a list is a TypeError). */
function dictBody(body: unknown, listMessage: string): Record<string, unknown> {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (Array.isArray(body)) throw badRequest(listMessage);
  if (typeof body !== 'object' || body === null) throw badRequest('Unexpected body type. Expected list/dict.');
  return body as Record<string, unknown>;
}

/**
 * The member id of a NEW_MEMBER_BODY, or the first failing check, in Glance's order (`ImageMembersController.create`,
 * glance/api/v2/image_members.py).
 */
export function parseNewMember(body: unknown): string {
  const b = dictBody(body, 'Expected a member in the form: {"member": "image_id"}');
  if (!('member' in b)) throw badRequest('Member to be added not specified');
  const member = b.member;
  if (!member) throw badRequest("Member can't be empty");
  if (typeof member !== 'string') throw badRequest('Member must be a string.');
  if (!isMemberId(member)) throw memberIdInvalid(member, MAX_MEMBER_ID);
  return member;
}

/**
 * The change of a STATUS_BODY. A body that is no dict or has no status is refused here (Glance's
 * deserializer); a bad status or vault is returned as its error, which the service throws after the
 * permission and member checks, where Glance checks the status (`ImageMembersController.update`).
 */
export function parseStatusChange(body: unknown): StatusChange | AppError {
  const b = dictBody(body, 'Expected a status in the form: {"status": "status"}');
  if (!('status' in b)) throw badRequest('Status not specified');
  const { status, vault_id: vault } = b;
  if (!isMemberStatus(status)) return memberStatusInvalid();
  if (vault === undefined || vault === null) return { status };
  if (typeof vault !== 'string' || !isMemberId(vault)) {
    return invalidRequest(`vault_id must be a string of 1 to ${MAX_MEMBER_ID} characters, none of them a control `
      + 'character.');
  }
  return { status, vaultId: vault };
}
