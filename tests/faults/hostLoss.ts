import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type AppendFsync, type RedisServer, startRedis, waitForReplicaSync } from "@accounts/devstack";
import { startTcpProxy, type TcpProxy } from "@accounts/tests/harness";
import { Redis } from "ioredis";

/**
 * The queue Redis of the host-loss faults: a master and a replica, each on a machine of its own (a
 * folder and a process), reached through one address that a failover moves (a TCP proxy plays
 * Sentinel's or the service's part), the replica streaming through a link that can be held back.
 *
 * {@link RedisPair.loseMaster} is the fault: the master's machine is lost with its disk (kill -9, its
 * folder deleted), the replica is promoted (`REPLICAOF NO ONE`), the address moved to it, and a new,
 * empty node is brought back as its replica.
 */
export class RedisPair {
  #master: RedisServer;
  #replica: RedisServer;
  readonly #address: TcpProxy;
  readonly #link: TcpProxy;
  readonly #dir: string;
  readonly #fsync: AppendFsync;
  readonly #all: RedisServer[];
  #generation = 0;

  private constructor(
    master: RedisServer,
    replica: RedisServer,
    address: TcpProxy,
    link: TcpProxy,
    dir: string,
    fsync: AppendFsync,
  ) {
    this.#master = master;
    this.#replica = replica;
    this.#address = address;
    this.#link = link;
    this.#dir = dir;
    this.#fsync = fsync;
    this.#all = [master, replica];
  }

  /** Starts a replica of `master` (a running server of this folder's run) and the two proxies. */
  static async start(master: RedisServer, dir: string, fsync: AppendFsync): Promise<RedisPair> {
    const address = await startTcpProxy({ targetPort: master.port });
    const link = await startTcpProxy({ targetPort: master.port });
    const replica = await startRedis({
      dataDir: join(dir, "redis-replica-0"),
      appendfsync: fsync,
      quiet: true,
    });
    await replicate(replica, link.port);
    await waitForReplicaSync(master.port, 1);
    return new RedisPair(master, replica, address, link, dir, fsync);
  }

  /** The one address clients use: the master's, whichever node that is. */
  get url(): string {
    return `redis://127.0.0.1:${this.#address.port}`;
  }

  /** The node that is master now (the `redis` fault kills and restarts it in place). */
  get master(): RedisServer {
    return this.#master;
  }

  /**
   * Loses the master's machine: holds the replication link back for `holdMs` first (the replica
   * lags, as a busy network makes it), kills the master with SIGKILL and deletes its folder, drops
   * what the link held, promotes the replica, moves the address, and starts a new empty node as the
   * new master's replica. Resolves once that replica is in sync.
   */
  async loseMaster(holdMs: number): Promise<{ target: string }> {
    const lost = this.#master;
    const promoted = this.#replica;
    if (holdMs > 0) {
      this.#link.hold();
      await sleep(holdMs);
    }
    await lost.kill("SIGKILL");
    rmSync(lost.dataDir, { recursive: true, force: true });
    this.#link.cut();
    const admin = new Redis(promoted.url, { maxRetriesPerRequest: 1 });
    try {
      await admin.call("REPLICAOF", "NO", "ONE");
    } finally {
      admin.disconnect();
    }
    this.#address.retarget(promoted.port);
    this.#link.retarget(promoted.port);
    this.#generation += 1;
    const fresh = await startRedis({
      dataDir: join(this.#dir, `redis-replica-${this.#generation}`),
      appendfsync: this.#fsync,
      quiet: true,
    });
    this.#all.push(fresh);
    await replicate(fresh, this.#link.port);
    await waitForReplicaSync(promoted.port, 1, 60_000);
    this.#master = promoted;
    this.#replica = fresh;
    return { target: `redis master :${lost.port} (promoted :${promoted.port})` };
  }

  /** Stops every node still running and the proxies. */
  async stop(): Promise<void> {
    await this.#address.close();
    await this.#link.close();
    await Promise.allSettled(this.#all.map((server) => server.stop()));
  }
}

/** Makes `server` a replica of the master behind `port` (at run time: a restart keeps its role out). */
async function replicate(server: RedisServer, port: number): Promise<void> {
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  try {
    await admin.call("REPLICAOF", "127.0.0.1", String(port));
  } finally {
    admin.disconnect();
  }
}
