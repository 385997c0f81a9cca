import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` writes the console (console/vite.config.ts): dist/console beside dist/src. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The console's pages may talk only to this origin and load only its own files; no page may frame them.
 * 'unsafe-inline' is not needed: Vite writes no inline script or style.
 */
const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
  + "frame-ancestors 'none'";

/**
 * The web console at `/console/`: the static files Vite built, gzip and brotli alongside (sent to clients that
 * accept them). It is only pages: everything it shows and changes goes through the public APIs with the signed-in
 * user's token, so it can do nothing the API would refuse. Without a build, `/console/` answers 404.
 */
export async function consoleRoutes(app: FastifyInstance, { root = CONSOLE_ROOT }: { root?: string } = {}) {
  if (!existsSync(root)) {
    app.log.warn({ root }, 'the console is not built (npm run build): /console answers 404');
    return;
  }
  await app.register(fastifyStatic, {
    root, prefix: '/console/', preCompressed: true, index: false,
    cacheControl: false,
    setHeaders(res, path) {
      // Vite names every asset by its content's hash: it never changes. The page itself is read again each time.
      const immutable = path.includes('/assets/');
      res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('Content-Security-Policy', CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
    },
  });
  // The page at the directory's own address (the plugin's index would not send the compressed copy).
  // Relative, so that it also holds behind a proxy that mounts ims under a path.
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('console/', 301));
  app.get('/console/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
}
