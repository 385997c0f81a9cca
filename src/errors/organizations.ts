/**
 * The errors of the Organizations API, each with Huawei's `error_code` form and its HTTP status (its kind).
 * Codes marked Huawei are those of Huawei's Organizations error table; the others are ims's own, for
 * refusals whose code in that table we could not establish (docs/organizations.md lists both).
 */
import { clip } from '../domain/clip.js';
import { AppError, type ErrorCode } from './app-error.js';

/** An Organizations refusal: rendered `{"error_code", "error_msg", "request_id"}`. */
export class OrgError extends AppError {
  constructor(kind: ErrorCode, readonly orgCode: string, message: string) {
    super(kind, message);
    this.name = 'OrgError';
  }
}

/** The code of an error raised without one (a body too large, a fault), by its kind. */
export function orgCodeOf(err: AppError): string {
  if (err instanceof OrgError) return err.orgCode;
  return err.status >= 500 ? 'Organizations.0500' : 'Organizations.0400';
}

/** ims: a malformed request (a body, a parameter, an id of the wrong form). */
export const orgInvalid = (message: string) => new OrgError('bad_request', 'Organizations.0400', message);

/** Huawei. */
export const managementOnly = () => new OrgError('unauthorized', 'Organizations.1001',
  'This operation can be called only from the management account of an organization.');

/** Huawei. */
export const managementOrDelegated = () => new OrgError('unauthorized', 'Organizations.1002',
  'This operation can be called only from the management account of an organization or by a member account that is '
  + 'a delegated administrator for a service.');

/** Huawei: what a caller without the cloud admin role is told (the action is Huawei's IAM action name). */
export const policyDenies = (action: string) => new OrgError('forbidden', 'Organizations.1007',
  `Policy doesn't allow '${action}' to be performed.`);

/** Huawei (401, as Huawei answers it): the account is in no organization. */
export const organizationNotFound = () => new OrgError('unauthorized', 'Organizations.1015',
  'The organization is not found.');

/** ims. */
export const alreadyInOrganization = (accountId: string) => new OrgError('conflict', 'Organizations.1101',
  `The account ${clip(accountId)} is already a member of an organization.`);

/** ims: deleting an organization that still has member accounts or OUs. */
export const organizationNotEmpty = () => new OrgError('bad_request', 'Organizations.1102',
  'The organization is not empty: remove its member accounts and delete its organizational units first.');

/** Huawei. */
export const parentNotFound = (parentId: string) => new OrgError('bad_request', 'Organizations.1201',
  `The parent ${clip(parentId)} is not found in the organization.`);

/** Huawei's parent code: a move whose `source_parent_id` is not where the account is. */
export const notUnderSource = (accountId: string, sourceId: string) => new OrgError('bad_request', 'Organizations.1201',
  `The account ${clip(accountId)} is not under ${clip(sourceId)}.`);

/** Huawei. */
export const unitNotEmpty = () => new OrgError('bad_request', 'Organizations.1202', 'The organizational unit is not empty.');

/** Huawei. */
export const unitNameConflict = (name: string) => new OrgError('conflict', 'Organizations.1205',
  `Conflict for organizational unit name: ${clip(name)} is already used under this parent.`);

/** ims. */
export const unitNotFound = (id: string) => new OrgError('not_found', 'Organizations.1206',
  `The organizational unit ${clip(id)} is not found.`);

/** ims: an account that is not in the caller's organization (or no account at all). */
export const accountNotFound = (id: string) => new OrgError('not_found', 'Organizations.1301',
  `The account ${clip(id)} is not found.`);

/** Huawei. */
export const managementCannotLeave = () => new OrgError('bad_request', 'Organizations.1304',
  'The management account cannot leave the organization.');
