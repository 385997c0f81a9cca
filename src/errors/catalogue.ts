/**
 * Every `IMG.xxxx` code ims answers with (Huawei's IMS API reference, Error Codes), and the named errors that carry
 * them. No other file spells an IMS code: a test greps for it. Each error is an AppError whose kind gives its Glance
 * and Keystone rendering (status and dialect body, http/*\/errors.ts) and whose code gives its IMS one.
 */
import { clip } from '../domain/clip.js';
import type { Refusal } from '../policy/sharing.js';
import { AppError, badRequest, type ErrorCode, forbidden, notFound } from './app-error.js';

/** The IMS codes by meaning, with the message the IMS error table gives each (used for a job's fail reason). */
const CODES = {
  invalid: ['IMG.0001', 'The request message format is invalid.'],
  emptyBody: ['IMG.0007', 'The request body is empty.'],
  badUrl: ['IMG.0017', 'The URL format is incorrect.'],
  jobFailed: ['IMG.0018', 'An error occurred when the job was submitted.'],
  jobNotFound: ['IMG.0023', 'An exception occurred during task query.'],
  roleInvalid: ['IMG.0026', 'The role is invalid.'],
  imageNotFound: ['IMG.0027', 'The image ID in the request does not exist.'],
  projectMismatch: ['IMG.0030', 'The project ID and token in the request are invalid.'],
  unavailableImage: ['IMG.0046', 'The image is unavailable.'],
  notOwner: ['IMG.0047', 'This operation can be performed only by the image owner.'],
  throttled: ['IMG.0060', 'The number of tasks exceeds the flow control limit.'],
  imageIdIncorrect: ['IMG.0066', 'The image ID is incorrect.'],
  projectIdIncorrect: ['IMG.0067', 'The project ID is incorrect.'],
  selfShare: ['IMG.0076', 'You cannot share an image with yourself.'],
  noImage: ['IMG.0086', 'No image was found.'],
  tokenIncorrect: ['IMG.0087', 'The token is incorrect.'],
  memberQuota: ['IMG.0088', 'The number of shared images has reached the maximum allowed.'],
  publicImage: ['IMG.0089', 'The public image cannot be shared.'],
  kmsKeyMissing: ['IMG.0095', 'The KMS key does not exist.'],
  kmsNotGranted: ['IMG.0099', 'You do not have the permission to use the KMS key of the image.'],
  projectAmbiguous: ['IMG.0104', 'Enter the project name if there are multiple projects in the same region.'],
  addFailed: ['IMG.0112', 'The operation failed.'],
  wholeImage: ['IMG.0135', 'The full-ECS image cannot be shared.'],
  notShared: ['IMG.0144', 'The image does not exist or is not shared with the project.'],
  noPermission: ['IMG.0161', 'You do not have permission.'],
  vaultRequired: ['IMG.0184', 'vault_id is mandatory when accepting a full-ECS image created from a CBR backup.'],
} as const;

export type ImsCodeName = keyof typeof CODES;
export type ImsCode = (typeof CODES)[ImsCodeName][0];

/** The IMS code of a meaning. */
export const img = (name: ImsCodeName): ImsCode => CODES[name][0];

const REASONS = new Map<string, string>(Object.values(CODES));

/** The table's message of a code, for a job's `fail_reason`. */
export const reasonOf = (code: string): string => REASONS.get(code) ?? 'The operation failed.';

/** The IMS code of an error raised without one, by its kind. */
const DEFAULT_CODES: Record<ErrorCode, ImsCodeName> = {
  bad_request: 'invalid',
  unauthorized: 'tokenIncorrect',
  forbidden: 'noPermission',
  not_found: 'noImage',
  method_not_allowed: 'badUrl',
  request_timeout: 'invalid',
  conflict: 'invalid',
  payload_too_large: 'invalid',
  uri_too_long: 'badUrl',
  quota_exceeded: 'memberQuota',
  unsupported_media_type: 'invalid',
  too_many_requests: 'throttled',
  unavailable: 'jobFailed',
  internal: 'jobFailed',
};

/** The code the IMS dialect shows for an error. */
export const imsCodeOf = (err: AppError): string => err.img ?? img(DEFAULT_CODES[err.code]);

// Request errors, by what they refuse.

/** A malformed request (IMG.0001) with what is wrong. */
export const invalidRequest = (message: string) => badRequest(message, img('invalid'));
export const emptyBody = () => badRequest('The request body is empty.', img('emptyBody'));
export const imageIdIncorrect = (id: string) => badRequest(`The image ID is incorrect: ${clip(id)}`, img('imageIdIncorrect'));
export const projectIdIncorrect = (id: string) =>
  badRequest(`The project ID is incorrect: ${clip(id)}`, img('projectIdIncorrect'));
export const projectMismatch = (why = '') =>
  badRequest(`The project ID and token in the request are invalid${why}.`, img('projectMismatch'));
export const projectAmbiguous = () => badRequest(CODES.projectAmbiguous[1], img('projectAmbiguous'));
export const roleInvalid = (message: string) => forbidden(message, img('roleInvalid'));
export const jobNotFound = (jobId: string) => notFound(`Job ${clip(jobId)} could not be found.`, img('jobNotFound'));
/** ListJobs' marker must be a job of the caller's project (a purged one is no longer). */
export const jobMarkerInvalid = (marker: string) =>
  invalidRequest(`The marker is invalid: ${clip(marker)} is not a job of this project.`);

// Sharing errors of the native member API (Glance's messages, IMS codes).

export const memberImageNotFound = (id: string) => notFound(`Image ${clip(id)} not found.`, img('imageNotFound'));
export const memberNotFound = (imageId: string, memberId: string) =>
  notFound(`${clip(memberId)} not found in the member list of the image ${imageId}.`, img('notShared'));
export const memberIdInvalid = (memberId: string, max: number) => badRequest(`Invalid member ${clip(memberId)}: a `
  + `member is 1 to ${max} characters, none of them a control character.`, img('projectIdIncorrect'));
export const cannotAddMembers = (imageId: string) =>
  forbidden(`Not allowed to create members for image ${imageId}.`, img('notOwner'));
export const cannotUpdateMembers = (imageId: string) =>
  forbidden(`Not allowed to update members for image ${imageId}.`, img('roleInvalid'));
export const cannotDeleteMembers = (imageId: string) =>
  forbidden(`Not allowed to delete members for image ${imageId}.`, img('notOwner'));
export const membersOnlyShared = (imageId: string) => forbidden(`Not allowed to list members for image ${imageId}: `
  + 'Only shared images have members.', img('noPermission'));
export const memberStatusInvalid = () =>
  invalidRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
export const memberMarkerInvalid = () => invalidRequest('The marker is invalid: no such member of this image.');
export const selfShare = () => badRequest(CODES.selfShare[1], img('selfShare'));
export const wholeImageUnshareable = () => forbidden('The full-ECS image cannot be shared: only full-ECS images '
  + 'created from a CBR backup can be shared.', img('wholeImage'));
export const kmsNotGranted = (key: string, imageId: string, memberId: string) => forbidden(`The KMS key ${clip(key)} `
  + `of image ${imageId} has not been granted to project ${memberId}; authorize the key for that project first.`,
img('kmsNotGranted'));
export const memberQuotaExceeded = (imageId: string, attempted: number, quota: number) =>
  new AppError('quota_exceeded', `Image member limit exceeded for image ${imageId}: The limit has been exceeded on `
    + `the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${quota}:`,
  { img: img('memberQuota') });
export const vaultRequired = () => badRequest(CODES.vaultRequired[1], img('vaultRequired'));

// Sharing errors of the batch APIs: the IMS table's message and the image concerned.

export const batchImageNotFound = (id: string) =>
  badRequest(`The image ID in the request does not exist: ${id}`, img('imageNotFound'));
export const batchNotOwner = (id: string) =>
  badRequest(`This operation can be performed only by the image owner: ${id}`, img('notOwner'));
export const batchPublicImage = (id: string) => badRequest(`The public image cannot be shared: ${id}`, img('publicImage'));
export const batchUnavailableImage = (id: string) => badRequest(`The image is unavailable: ${id}`, img('unavailableImage'));

// KMS grants (an operator API).

/** A recipient cannot accept or reject a share with its organization (native API). */
export const organizationShare = (imageId: string) => forbidden(`Image ${imageId} is shared with your organization: `
  + 'its accounts use it without accepting it, and cannot reject it.', img('noPermission'));

export const grantsAdminOnly = () =>
  forbidden('You do not have permission: KMS key grants are managed by cloud admins.', img('noPermission'));
export const kmsKeyIdIncorrect = (keyId: string) => invalidRequest(`The KMS key ID is incorrect: ${clip(keyId)}`);
export const grantNotFound = (keyId: string, projectId: string) =>
  notFound(`Key ${clip(keyId)} is not granted to project ${clip(projectId)}.`, img('kmsKeyMissing'));

// Refusals of the sharing policy (policy/sharing.ts) as the batch APIs give them.

/** A batch request refused before its job is submitted, for the image concerned. */
export function batchError(refusal: Refusal, imageId: string): AppError {
  switch (refusal) {
    case 'not_owner': return batchNotOwner(imageId);
    case 'not_shareable': return batchPublicImage(imageId);
    case 'unavailable': return batchUnavailableImage(imageId);
    case 'self_share': return selfShare();
    default: return batchImageNotFound(imageId);
  }
}

/** The code of a job's failed pair, by the refusal. */
const PAIR_CODES: Record<Refusal, ImsCodeName> = {
  image_not_found: 'imageNotFound',
  not_owner: 'notOwner',
  not_shareable: 'publicImage',
  not_shared: 'notShared',
  owner_cannot_update: 'roleInvalid',
  member_not_found: 'notShared',
  unavailable: 'unavailableImage',
  self_share: 'selfShare',
  whole_image: 'wholeImage',
  kms_not_granted: 'kmsNotGranted',
  quota: 'memberQuota',
  vault_required: 'vaultRequired',
  organization_share: 'noPermission',
  target_not_found: 'projectIdIncorrect',
};

export const pairCode = (refusal: Refusal): ImsCode => img(PAIR_CODES[refusal]);

/** The code of a failed pair of an update job: an image gone or unseen is "not shared with the project" too. */
export const updatePairCode = (refusal: Refusal): ImsCode =>
  (refusal === 'image_not_found' ? img('notShared') : pairCode(refusal));
