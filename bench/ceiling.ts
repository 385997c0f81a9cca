/**
 * The ceiling: a bare Fastify app answering the bench routes with canned responses and no work, run as
 * its own process next to `ims serve`. The bench captures each scenario's real response (status, body,
 * headers) from ims and hands it over with `PUT /__bench/canned`, so both servers send the same bytes.
 *
 *   node dist/bench/ceiling.js [--port 0]     prints {"port": N} on stdout once listening
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** The routes of the bench scenarios, with ims's own patterns (a route key is "METHOD pattern"). */
export const CEILING_ROUTES = [
  ['POST', '/v3/auth/tokens'],
  ['GET', '/v2/images'],
  ['GET', '/v2/images/:id'],
  ['GET', '/v2/images/:id/members'],
  ['POST', '/v2/images/:id/members'],
  ['GET', '/v2/images/:id/members/:member'],
  ['PUT', '/v2/images/:id/members/:member'],
  ['POST', '/v1/cloudimages/members'],
  ['GET', '/v1/:project_id/jobs/:job_id'],
] as const;

export type RouteKey = `${(typeof CEILING_ROUTES)[number][0]} ${(typeof CEILING_ROUTES)[number][1]}`;

export interface Canned {
  route: RouteKey;
  status: number;
  headers: Record<string, string>;
  body: string;
}

function main(): void {
  const portArg = process.argv.indexOf('--port');
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
  const canned = new Map<string, Canned>();
  const app = Fastify({ logger: false, bodyLimit: 12 * 1024 * 1024 });

  app.put('/__bench/canned', async (request, reply) => {
    const c = request.body as Canned;
    canned.set(c.route, c);
    return reply.status(204).send();
  });

  for (const [method, url] of CEILING_ROUTES) {
    const key = `${method} ${url}`;
    app.route({
      method, url,
      handler: (_request: FastifyRequest, reply: FastifyReply) => {
        const c = canned.get(key);
        if (!c) return reply.status(500).send({ message: `no canned response for ${key}` });
        return reply.status(c.status).headers(c.headers).send(c.body);
      },
    });
  }

  app.listen({ host: '127.0.0.1', port }).then(() => {
    const address = app.server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : port })}\n`);
  }, (err: unknown) => {
    process.stderr.write(`ceiling: ${String(err)}\n`);
    process.exit(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)); });
  }
}

if (process.argv[1]?.endsWith('ceiling.js')) main();
