import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that forwards every connection to a target port, for the host-loss
 * faults: it plays the one address of a failover (clients reach "the master" through it, and
 * {@link TcpProxy.moveTo} points it at the promoted replica, cutting the connections to the old one,
 * as Sentinel or a service address would), or a replication link that can be held back
 * ({@link TcpProxy.hold}: bytes stop flowing and are dropped; {@link TcpProxy.cut} then ends the
 * connections, so a held stream is never resumed half-way).
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #target: number;
  #held = false;

  private constructor(server: Server, target: number) {
    this.#server = server;
    this.#target = target;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `target`. */
  static async start(target: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new TcpProxy(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("proxy not listening");
    return address.port;
  }

  get target(): number {
    return this.#target;
  }

  /** New connections go to `target`; the open ones are cut (their clients reconnect). */
  moveTo(target: number): void {
    this.#target = target;
    this.cut();
  }

  /** Stops forwarding in both directions (what arrives meanwhile is dropped) until {@link cut}. */
  hold(): void {
    this.#held = true;
  }

  /** Destroys every open connection, and whatever they held; forwarding resumes for new ones. */
  cut(): void {
    this.#held = false;
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.#target, "127.0.0.1");
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    // By hand rather than pipe(): a held connection must drop bytes, not buffer them for later.
    client.on("data", (chunk) => {
      if (!this.#held) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!this.#held) client.write(chunk);
    });
  }
}
