import { createServer } from "node:net";

/**
 * Ports owned by the machine's own servers; the devstack never starts anything on them.
 *
 * @example
 * STANDARD_PORTS.has(5432); // true
 */
export const STANDARD_PORTS: ReadonlySet<number> = new Set([5432, 6379]);

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it: bind port 0, close).
 * Another process may take it before you bind it; the servers fail fast with a clear log if so.
 *
 * @example
 * const port = await freePort(); // 41873
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    // The kernel never hands out a privileged or standard port from its ephemeral range, but a
    // misconfigured range could; checking costs nothing.
    if (port !== undefined && !STANDARD_PORTS.has(port)) return port;
  }
}

/**
 * Whether nothing listens on `port` of 127.0.0.1 right now.
 *
 * @example
 * if (!(await isPortFree(55432))) port = await freePort();
 */
export async function isPortFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) !== undefined;
}

/**
 * The first of `candidates` that is free now, else any free port: a local server keeps the port it
 * had last time (URLs in shell history and tools keep working), else gets the usual one.
 *
 * @example
 * const port = await firstFreePort([saved.redisPort, 56379]);
 */
export async function firstFreePort(candidates: readonly (number | undefined)[]): Promise<number> {
  for (const candidate of candidates) {
    if (candidate !== undefined && (await isPortFree(candidate))) return candidate;
  }
  return freePort();
}

/** Binds and closes at once; resolves the bound port, or undefined when the bind failed. */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** The requested port after checking it is neither standard nor taken; a free one when none is asked. */
export async function choosePort(requested: number | undefined, what: string): Promise<number> {
  if (requested === undefined) return freePort();
  if (STANDARD_PORTS.has(requested)) {
    throw new Error(`refusing to start ${what} on port ${requested}: it is the machine's standard port.`);
  }
  if (!(await isPortFree(requested))) {
    throw new Error(`cannot start ${what} on port ${requested}: something already listens there.`);
  }
  return requested;
}
