/**
 * The errors of Huawei IAM's access-key API (`/v3.0/OS-CREDENTIAL/credentials`), each with IAM's `error_code` and
 * its HTTP status (its kind). docs/iam.md says which codes and messages are IAM's and which are ours.
 */
import { clip } from '../domain/clip.js';
import { AppError, type ErrorCode } from './app-error.js';

/**
 * An IAM refusal: rendered `{"error_msg", "error_code", "request_id"}`, or, `keystoneForm`, in the Keystone form
 * IAM answers the key limit with (`{"error": {"message", "code", "title"}}`).
 */
export class IamError extends AppError {
  constructor(kind: ErrorCode, readonly iamCode: string, message: string, readonly keystoneForm = false) {
    super(kind, message);
    this.name = 'IamError';
  }
}

/** IAM's code of an error raised without one (a body too large, an unreadable body, a fault), by its status. */
export function iamCodeOf(err: AppError): string {
  if (err instanceof IamError) return err.iamCode;
  const byStatus: Record<number, string> = { 400: 'IAM.0011', 401: 'IAM.0001', 403: 'IAM.0002', 404: 'IAM.0004' };
  return byStatus[err.status] ?? (err.status >= 500 ? 'IAM.0006' : 'IAM.0011');
}

/** IAM: a request without valid credentials. */
export const iamUnauthenticated = () => new IamError('unauthorized', 'IAM.0001',
  'The request you have made requires authentication.');

/** IAM: another user's key, for a caller who is not an admin. */
export const iamForbidden = () => new IamError('forbidden', 'IAM.0002',
  'You are not authorized to perform the requested action.');

/** IAM: "Could not find %(target)s: %(target_id)s." */
export const iamNotFound = (target: 'user' | 'credential', id: string) => new IamError('not_found', 'IAM.0004',
  `Could not find ${target}: ${clip(id)}.`);

/** IAM: "Request parameter %(key)s is invalid." */
export const iamParamInvalid = (key: string) => new IamError('bad_request', 'IAM.0007',
  `Request parameter ${key} is invalid.`);

/** IAM: a body that is not the object the API takes. */
export const iamBodyInvalid = () => new IamError('bad_request', 'IAM.0011', 'Request body is invalid.');

/** IAM: the user holds as many keys as IAM allows (its own body, in the Keystone form). */
export const akskLimit = () => new IamError('bad_request', '400', 'akSkNumExceed', true);
