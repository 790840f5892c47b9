import { sql } from "kysely";
import type { Pool } from "pg";
import { isDatabaseUnavailableError } from "../errors.ts";
import { createDb, createPool, type Db, type PoolOptions, poolOf } from "../pool.ts";
import { parseLsn } from "./lsn.ts";

/** Where a read went. */
export type ReadTarget = "primary" | "replica";

/** What the last poll found about one replica. */
export interface ReplicaStatus {
  readonly name: string;
  /** False when the last poll failed, or the server is not in recovery (promoted: not a replica). */
  readonly ok: boolean;
  /** Its replay position (WAL applied and visible to queries). */
  readonly replayLsn: bigint | undefined;
  /** Bytes of WAL the primary has written that it has not replayed (0 when caught up). */
  readonly lagBytes: number | undefined;
  /**
   * Seconds since the primary first wrote WAL that it has not replayed yet; 0 when caught up, also
   * with an idle primary (unlike `now() - pg_last_xact_replay_timestamp()`, which grows while
   * nothing is written).
   */
  readonly lagSeconds: number | undefined;
  /** When the last poll answered (ms since epoch; 0 never). */
  readonly polledAt: number;
  readonly error: string | undefined;
}

export interface ReplicaReadsOptions {
  primary: Db;
  /** Replica name (for metrics) and connection URL. */
  replicas: readonly { name: string; url: string }[];
  /**
   * The commit high-water mark of `scope` now: a WAL position at or past every batch already
   * reported final that touched what the read reads (null: none known, so only the primary qualifies).
   */
  commitPosition: (scope: string) => Promise<bigint | null>;
  /** A replica further behind than this (seconds) is not read from. */
  maxLagSeconds: number;
  /** How often every replica's replay position and the primary's WAL position are read. */
  pollIntervalMs?: number;
  pool?: PoolOptions;
  /** Called once per read with where it was served. */
  onRead?: (target: ReadTarget) => void;
}

interface Replica {
  name: string;
  pool: Pool;
  db: Db;
  status: ReplicaStatus;
}

/** A sample of the primary's WAL position, for the lag in seconds. */
interface Sample {
  at: number;
  lsn: bigint;
}

const KEEP_SAMPLES_MS = 15 * 60_000;

/**
 * Chooses, for each read, a replica that is recent enough, else the primary. The rule: a replica
 * qualifies when its last poll succeeded and is recent, its lag is within `maxLagSeconds`, and its
 * replay position has reached the commit high-water mark read at the start of this read, so the
 * read shows every operation reported final before it began. The polled values choose a replica;
 * the read itself then checks the replica's replay position on its own connection before it runs
 * (one more round trip, on the replica), so a restarted replica, or a URL behind a load balancer
 * that reaches another replica than the poll did, can never answer with less. A failed query
 * disqualifies the replica until a poll succeeds again.
 *
 * @example
 * const reads = new ReplicaReads({ primary: db, replicas: [{ name: "r1", url }], commitPosition, maxLagSeconds: 5 });
 * reads.start();
 * const rows = await reads.read(accountScope("alice"), (db) => getBalances(db, "alice"));
 */
export class ReplicaReads {
  readonly #options: ReplicaReadsOptions;
  readonly #replicas: Replica[];
  readonly #samples: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #next = 0;

  constructor(options: ReplicaReadsOptions) {
    this.#options = options;
    this.#replicas = options.replicas.map(({ name, url }) => {
      const pool = createPool(url, { applicationName: "accounts-replica-reads", ...options.pool });
      return {
        name,
        pool,
        db: createDb(pool),
        status: {
          name,
          ok: false,
          replayLsn: undefined,
          lagBytes: undefined,
          lagSeconds: undefined,
          polledAt: 0,
          error: "not polled yet",
        },
      };
    });
  }

  get primary(): Db {
    return this.#options.primary;
  }

  /** Starts polling (no-op without replicas). */
  start(): void {
    if (this.#replicas.length === 0 || this.#timer) return;
    const interval = this.#options.pollIntervalMs ?? 100;
    const tick = () => {
      this.#polling = this.poll().finally(() => {
        if (this.#timer) this.#timer = setTimeout(tick, interval);
      });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Each replica as of the last poll. */
  status(): ReplicaStatus[] {
    return this.#replicas.map((replica) => replica.status);
  }

  /**
   * Runs `work` on a replica that qualifies now, else on the primary. When the replica fails to
   * answer (down, restarting), it is disqualified and `work` runs again on the primary.
   */
  async read<T>(scope: string, work: (db: Db, target: ReadTarget) => Promise<T>): Promise<T> {
    const chosen = await this.choose(scope);
    if (!chosen) {
      this.#options.onRead?.("primary");
      return work(this.#options.primary, "primary");
    }
    const { replica, mark } = chosen;
    try {
      // On one connection: its replay position first, then the work, whose snapshot is taken after
      // it and so shows at least that much. The polled position only chose the replica; this check
      // decides (a URL behind a load balancer may reach another server than the poll did).
      const answer = await replica.db.connection().execute(async (connection) => {
        const { rows } = await sql<{
          replay: string | null;
        }>`SELECT pg_last_wal_replay_lsn()::text AS replay`.execute(connection);
        const replay = rows[0]?.replay;
        if (!replay || parseLsn(replay) < mark) return undefined;
        this.#options.onRead?.("replica");
        return { value: await work(connection, "replica") };
      });
      if (answer) return answer.value;
    } catch (error) {
      if (!isDatabaseUnavailableError(error)) throw error;
      replica.status = { ...replica.status, ok: false, error: messageOf(error) };
    }
    this.#options.onRead?.("primary");
    return work(this.#options.primary, "primary");
  }

  /** True when reads may go to replicas at all. */
  get hasReplicas(): boolean {
    return this.#replicas.length > 0;
  }

  /** The replica a read started now may use, or undefined for the primary. */
  async choose(scope: string): Promise<{ replica: Replica; mark: bigint } | undefined> {
    if (this.#replicas.length === 0) return undefined;
    const now = Date.now();
    const fresh = Math.max(1_000, 5 * (this.#options.pollIntervalMs ?? 100));
    const candidates = this.#replicas.filter(
      (r) =>
        r.status.ok &&
        now - r.status.polledAt <= fresh &&
        r.status.lagSeconds !== undefined &&
        r.status.lagSeconds <= this.#options.maxLagSeconds,
    );
    if (candidates.length === 0) return undefined;
    const mark = await this.#options.commitPosition(scope);
    if (mark === null) return undefined;
    const ready = candidates.filter((r) => r.status.replayLsn !== undefined && r.status.replayLsn >= mark);
    if (ready.length === 0) return undefined;
    this.#next = (this.#next + 1) % ready.length;
    const replica = ready[this.#next];
    return replica ? { replica, mark } : undefined;
  }

  /** One poll: the primary's WAL position, then each replica's replay position. */
  async poll(): Promise<void> {
    const now = Date.now();
    let primaryLsn: bigint | undefined;
    try {
      const { rows } = await poolOf(this.#options.primary).query<{ lsn: string }>(
        "SELECT pg_current_wal_lsn()::text AS lsn",
      );
      primaryLsn = parseLsn(rows[0]?.lsn ?? "");
      // A position lower than the last one: another server is the primary now (a failover).
      if (primaryLsn < (this.#samples.at(-1)?.lsn ?? 0n)) this.#samples.length = 0;
      this.#samples.push({ at: now, lsn: primaryLsn });
      while ((this.#samples[0]?.at ?? now) < now - KEEP_SAMPLES_MS) this.#samples.shift();
    } catch {
      // The primary is away: the lag in bytes and seconds cannot be told; the replicas still answer.
    }
    await Promise.all(this.#replicas.map((replica) => this.#pollReplica(replica, primaryLsn)));
  }

  async #pollReplica(replica: Replica, primaryLsn: bigint | undefined): Promise<void> {
    try {
      const { rows } = await replica.pool.query<{ replay: string | null; recovery: boolean }>(
        "SELECT pg_last_wal_replay_lsn()::text AS replay, pg_is_in_recovery() AS recovery",
      );
      const row = rows[0];
      if (!row?.recovery || !row.replay) {
        replica.status = { ...replica.status, ok: false, polledAt: Date.now(), error: "not in recovery" };
        return;
      }
      const replay = parseLsn(row.replay);
      const lagBytes =
        primaryLsn === undefined ? undefined : Number(primaryLsn > replay ? primaryLsn - replay : 0n);
      replica.status = {
        name: replica.name,
        ok: true,
        replayLsn: replay,
        lagBytes,
        lagSeconds: primaryLsn === undefined ? undefined : this.#lagSeconds(replay),
        polledAt: Date.now(),
        error: undefined,
      };
    } catch (error) {
      replica.status = { ...replica.status, ok: false, error: messageOf(error) };
    }
  }

  /** Seconds since the first sampled primary position beyond `replay` (0 when none is). */
  #lagSeconds(replay: bigint): number {
    const behind = this.#samples.find((sample) => sample.lsn > replay);
    if (!behind) return 0;
    // The WAL it misses was written after the last sample it had reached: at most this long ago.
    const index = this.#samples.indexOf(behind);
    const since = index > 0 ? (this.#samples[index - 1] as Sample).at : behind.at;
    return (Date.now() - since) / 1000;
  }

  async close(): Promise<void> {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer) clearTimeout(timer);
    await this.#polling?.catch(() => {});
    await Promise.allSettled(this.#replicas.map((replica) => replica.db.destroy()));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
