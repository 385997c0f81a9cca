import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type TSchema, Type } from '@sinclair/typebox';
import type { Container } from '../container.js';
import type { Authenticator } from './authentication.js';

/** A plugin of routes on the container's services, each handler typed by its route's TypeBox schemas. */
export type Routes = FastifyPluginAsyncTypebox<{ container: Container }>;

/** An API scope's plugin (Glance, IMS, Keystone): routes, and the authentication every scope shares. */
export type ScopeRoutes = FastifyPluginAsyncTypebox<{ container: Container; authenticator: Authenticator }>;

/**
 * A body or query-string schema, for /openapi.json, as its handler sees the value: `unknown` until parsed.
 * Fastify validates no request schema (app.ts): a repeated query key is an array, a body any JSON.
 */
export const unparsed = (schema: TSchema) => Type.Unsafe<unknown>(schema);
