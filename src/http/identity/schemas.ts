import { Type } from '@sinclair/typebox';
import { unparsed } from '../request-schemas.js';

/** The request and answer bodies of the Keystone routes, for /openapi.json. */

const Named = Type.Object({ id: Type.String(), name: Type.String() });
const Links = Type.Object({ self: Type.String(), previous: Type.Optional(Type.Null()), next: Type.Optional(Type.Null()) });

export const VERSION_RESPONSE = Type.Object({
  version: Type.Object({
    id: Type.String(), status: Type.String(), updated: Type.String(),
    links: Type.Array(Type.Object({ rel: Type.String(), href: Type.String() })),
    'media-types': Type.Array(Type.Object({ base: Type.String(), type: Type.String() })),
  }),
});

export const TOKEN_REQUEST = unparsed(Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String(), { description: 'Must include "password"' }),
      password: Type.Object({
        user: Type.Object({
          id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), password: Type.String(),
          domain: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) })),
        }),
      }),
    }),
    scope: Type.Optional(Type.Object({
      project: Type.Object({
        id: Type.Optional(Type.String()), name: Type.Optional(Type.String()),
        domain: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) })),
      }),
    }, { description: 'The project to scope the token to; without it, the user\'s default project' })),
  }),
}));

/** As IdentityService renders it (its type: the service's). */
export const TOKEN_RESPONSE = Type.Unsafe<{ token: Record<string, unknown> }>(Type.Object({
  token: Type.Object({
    methods: Type.Array(Type.String()),
    user: Type.Object({ id: Type.String(), name: Type.String(), domain: Named, password_expires_at: Type.Null() }),
    audit_ids: Type.Array(Type.String()),
    expires_at: Type.String(), issued_at: Type.String(),
    project: Type.Object({ id: Type.String(), name: Type.String(), domain: Named }),
    is_domain: Type.Boolean(),
    roles: Type.Array(Named),
    catalog: Type.Array(Type.Object({}, { additionalProperties: true })),
  }),
}, { description: 'The token itself is in the X-Subject-Token header' }));

export const SUBJECT_TOKEN_HEADERS = Type.Object({
  'x-subject-token': Type.String({ description: 'The token to validate' }),
});

const DOMAIN = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(), enabled: Type.Boolean(),
  tags: Type.Array(Type.String()), options: Type.Object({}), links: Type.Object({ self: Type.String() }),
});
export const DOMAIN_RESPONSE = Type.Object({ domain: DOMAIN });
export const DOMAINS_RESPONSE = Type.Object({ domains: Type.Array(DOMAIN), links: Links });
