/** The answer bodies of the Organizations routes (Huawei's DTOs, bodies.ts), for /openapi.json. */

const string = { type: 'string' } as const;
const object = (properties: Record<string, object>) => ({ type: 'object', properties }) as const;

const ORGANIZATION = object({ id: string, urn: string, management_account_id: string, management_account_name: string,
  created_at: string });
const ROOT = object({ id: string, urn: string, name: string, policy_types: { type: 'array', items: string }, created_at: string });
const UNIT = object({ id: string, urn: string, name: string, created_at: string });
const ACCOUNT = object({ id: string, urn: string, join_method: string, status: string, joined_at: string, name: string });
const HANDSHAKE = object({ id: string, urn: string, updated_at: string, created_at: string, management_account_id: string,
  management_account_name: string, organization_id: string, notes: string,
  target: object({ type: string, entity: string }), status: string });
const PAGE_INFO = object({ next_marker: { type: 'string', description: 'Only when more follow' }, current_count: { type: 'integer' } });

export const ORGANIZATION_RESPONSE = object({ organization: ORGANIZATION });
export const ROOTS_RESPONSE = object({ roots: { type: 'array', items: ROOT }, page_info: PAGE_INFO });
export const UNIT_RESPONSE = object({ organizational_unit: UNIT });
export const UNITS_RESPONSE = object({ organizational_units: { type: 'array', items: UNIT }, page_info: PAGE_INFO });
export const ACCOUNT_RESPONSE = object({ account: ACCOUNT });
export const ACCOUNTS_RESPONSE = object({ accounts: { type: 'array', items: ACCOUNT }, page_info: PAGE_INFO });
export const HANDSHAKE_RESPONSE = object({ handshake: HANDSHAKE });
/** An answer with no body: 200 or 204, Content-Length 0. */
export const EMPTY = { type: 'null' } as const;
