/** The body of `POST /v3/auth/tokens` with the password method; a scope only when one is given. */
export const passwordAuth = (user: object, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user } }, ...(scope === undefined ? {} : { scope }) },
});

/** A user of the Default domain, by name. */
export const namedUser = (name: string, password = 'secret') => ({ name, domain: { name: 'Default' }, password });

/** Keystone's error body. */
export const keystoneError = (code: number, title: string, message: string) => ({ error: { code, title, message } });
