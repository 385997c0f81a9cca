import { Type } from '@sinclair/typebox';
import { unparsed } from '../request-schemas.js';

/** TypeBox schemas of the access-key API, for /openapi.json: field names and types as Huawei's IAM SDK models them. */
const STATUS = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
const TIME = Type.String({ description: 'UTC, YYYY-MM-DDTHH:mm:ss.ssssssZ' });

const KEY_FIELDS = {
  user_id: Type.String(),
  access: Type.String({ description: 'The access key (AK)' }),
  status: STATUS,
  create_time: TIME,
  description: Type.String(),
};

export const ACCESS_PARAMS = Type.Object({ access_key: Type.String({ description: 'The access key (AK)' }) });
export const LIST_QUERY = unparsed(Type.Object({
  user_id: Type.Optional(Type.String({ description: "Whose keys (admins only for another user's); default the caller's" })),
}));
export const CREATE_BODY = unparsed(Type.Object({
  credential: Type.Object({ user_id: Type.String(), description: Type.Optional(Type.String({ maxLength: 255 })) }),
}));
export const UPDATE_BODY = unparsed(Type.Object({
  credential: Type.Object({ status: Type.Optional(STATUS), description: Type.Optional(Type.String({ maxLength: 255 })) }),
}));

const IAM_ERROR = Type.Object({ error_msg: Type.String(), error_code: Type.String(), request_id: Type.String() });
/** The key limit, in the Keystone form IAM answers it with. */
const LIMIT_ERROR = Type.Union([IAM_ERROR, Type.Object({
  error: Type.Object({ message: Type.Literal('akSkNumExceed'), code: Type.Literal(400), title: Type.String() }),
})]);
const ERRORS = { 401: IAM_ERROR, 403: IAM_ERROR, 404: IAM_ERROR };

export const CREATED = {
  201: Type.Object({ credential: Type.Object({ ...KEY_FIELDS, secret: Type.String({ description: 'The SK, shown once' }) }) }),
  400: LIMIT_ERROR, ...ERRORS,
};
export const LISTED = {
  200: Type.Object({ credentials: Type.Array(Type.Object(KEY_FIELDS)) }), 400: IAM_ERROR, 401: IAM_ERROR, 403: IAM_ERROR,
};
export const SHOWN = {
  200: Type.Object({ credential: Type.Object({ ...KEY_FIELDS, last_use_time: TIME }) }), ...ERRORS,
};
export const UPDATED = { 200: Type.Object({ credential: Type.Object(KEY_FIELDS) }), 400: IAM_ERROR, ...ERRORS };
export const DELETED = { 204: { type: 'null', description: 'Deleted' } as const, ...ERRORS };
