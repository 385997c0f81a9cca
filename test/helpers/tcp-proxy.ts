import net from 'node:net';



/**
 * A loopback TCP proxy between ims and PostgreSQL that a test can break the way networks break:
 * `reset()` cuts every open connection at once, `blackhole()` keeps them (and accepts new ones)
 * but forwards nothing, as a partition does, `stop()` refuses connections, `restore()` heals all of it.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<[net.Socket, net.Socket | undefined]>();
  private silent = false;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  /** Listens on a free loopback port (or the one it had before a stop). */
  async start(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Connections accepted so far and still open. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Every open connection is cut at once; new ones are served. */
  reset(): void {
    for (const [client, upstream] of this.pairs) {
      // Closed at once, mid-stream. (Node 20's resetAndDestroy, a real RST, left handles that never
      // finished closing: the test process then spun at exit.)
      client.destroy();
      upstream?.destroy();
    }
    this.pairs.clear();
  }

  /** Open connections stay open but carry nothing; new ones are accepted and carry nothing either. */
  blackhole(): void {
    this.silent = true;
  }

  /** Stops listening (new connections are refused) and resets the open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.reset();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Back to forwarding: listening again if stopped, silent connections reset (their protocol state is lost). */
  async restore(): Promise<void> {
    if (this.silent) {
      this.silent = false;
      this.reset();
    }
    if (!this.server) await this.start();
  }

  async close(): Promise<void> {
    this.silent = false;
    await this.stop();
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.silent) {
      // Read and drop: the peer sees a connection that never answers.
      const pair: [net.Socket, undefined] = [client, undefined];
      this.pairs.add(pair);
      client.on('data', () => {});
      client.on('close', () => this.pairs.delete(pair));
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    upstream.on('error', () => client.destroy());
    const forward = (from: net.Socket, to: net.Socket) => from.on('data', (chunk) => { if (!this.silent) to.write(chunk); });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }
}
