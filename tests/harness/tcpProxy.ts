import { connect, createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface TcpProxyOptions {
  /** Where connections go (127.0.0.1). Change it with `retarget`. */
  targetPort: number;
  /** Port to listen on (127.0.0.1); a free one when omitted. */
  port?: number;
  /**
   * Delay (ms) of every chunk from the target to the client, drawn per chunk from [min, max];
   * order is kept. Holds a streaming standby's WAL back, as a slow network would.
   */
  downstreamDelayMs?: { min: number; max: number };
}

/**
 * The one address apps reach a server through, in the fault suites: a TCP proxy on 127.0.0.1 whose
 * target can be moved (as an operator moves a Kubernetes service to the promoted PostgreSQL standby,
 * or Sentinel a Redis master's address to the promoted replica). Moving it or cutting it closes
 * every connection in flight, as a machine that is gone would: data still held back (by the delay,
 * or by {@link TcpProxy.hold}) is dropped, never delivered. As a replication link it can lag
 * (`downstreamDelayMs`) or stop ({@link TcpProxy.hold}).
 *
 * @example
 * const proxy = await startTcpProxy({ targetPort: primary.port });
 * // DATABASE_URL=postgres://postgres@127.0.0.1:${proxy.port}/accounts
 * await primary.kill(); await standby.promote(); proxy.retarget(standby.port);
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const proxy = new TcpProxy(options);
  await proxy.listen(options.port ?? 0);
  return proxy;
}

export class TcpProxy {
  #targetPort: number;
  readonly #delay: { min: number; max: number } | undefined;
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #port = 0;
  #held = false;

  constructor(options: TcpProxyOptions) {
    this.#targetPort = options.targetPort;
    this.#delay = options.downstreamDelayMs;
    this.#server = createServer((client) => this.#accept(client));
  }

  get port(): number {
    return this.#port;
  }

  get targetPort(): number {
    return this.#targetPort;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = this.#server.address();
    this.#port = typeof address === "object" && address ? address.port : port;
  }

  /** New connections go to `port`; the ones in flight are cut. */
  retarget(port: number): void {
    this.#targetPort = port;
    this.cut();
  }

  /**
   * Stops forwarding in both directions until {@link cut}: what arrives meanwhile is dropped, so a
   * held stream is never resumed half-way (a replication link that stopped).
   */
  hold(): void {
    this.#held = true;
  }

  /** Closes every connection in flight (held-back data is dropped); forwarding resumes for new ones. */
  cut(): void {
    this.#held = false;
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = connect(this.#targetPort, "127.0.0.1");
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    // By hand rather than pipe(): a held connection must drop bytes, not buffer them for later.
    client.on("data", (chunk: Buffer) => {
      if (!this.#held) upstream.write(chunk);
    });
    const delay = this.#delay;
    if (!delay) {
      upstream.on("data", (chunk: Buffer) => {
        if (!this.#held) client.write(chunk);
      });
      return;
    }
    // Delayed, in order: each chunk waits its own delay after the one before it was sent.
    let chain = Promise.resolve();
    upstream.on("data", (chunk: Buffer) => {
      if (this.#held) return;
      const wait = delay.min + Math.random() * (delay.max - delay.min);
      const due = Date.now() + wait;
      chain = chain.then(async () => {
        const left = due - Date.now();
        if (left > 0) await sleep(left);
        if (!client.destroyed && !this.#held) client.write(chunk);
      });
    });
  }
}
