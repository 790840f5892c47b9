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
 * The one address apps reach PostgreSQL through, in tests: a TCP proxy on 127.0.0.1 whose target
 * can be moved (as an operator moves a Kubernetes service to the promoted standby). Moving it or
 * cutting it closes every connection in flight, as a machine that is gone would: data still held
 * back by the delay is dropped, never delivered.
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

  /** Closes every connection in flight (held-back data is dropped). */
  cut(): void {
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
    client.pipe(upstream);
    const delay = this.#delay;
    if (!delay) {
      upstream.pipe(client);
      return;
    }
    // Delayed, in order: each chunk waits its own delay after the one before it was sent.
    let chain = Promise.resolve();
    upstream.on("data", (chunk: Buffer) => {
      const wait = delay.min + Math.random() * (delay.max - delay.min);
      const due = Date.now() + wait;
      chain = chain.then(async () => {
        const left = due - Date.now();
        if (left > 0) await sleep(left);
        if (!client.destroyed) client.write(chunk);
      });
    });
  }
}
