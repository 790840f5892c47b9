import { type AuditEvent, type Db, insertAuditEvents } from "@accounts/db";
import type { Logger } from "@accounts/runtime";

/** Where request handling drops audit events. Never blocks, never throws. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

export interface AuditLogWriterOptions {
  /** Writes one batch (in production `insertAuditEvents`). */
  insert: (events: readonly AuditEvent[]) => Promise<unknown>;
  log: Logger;
  /** Longest an event waits in memory before it is written. Default 200 ms. */
  flushIntervalMs?: number;
  /** Events per insert; a full batch is written at once. Default 100. */
  batchSize?: number;
  /** Events held while the database is slow or away; more are dropped (and counted). Default 10,000. */
  maxBuffered?: number;
}

export interface AuditLogStats {
  written: number;
  dropped: number;
  buffered: number;
}

/** Drops are logged at most this often, with the running count, so a flood does not flood the log. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * A buffered writer of audit events. `record()` only appends to memory; the events are inserted
 * in batches every `flushIntervalMs` or as soon as `batchSize` are waiting, one insert at a time.
 * The audit log must never take the API down with it: when an insert fails, its events are logged
 * as dropped (with a running count in `stats()`) and the writer carries on; when the database is
 * slow, at most `maxBuffered` events wait and further ones are dropped.
 *
 * Call `close()` on shutdown: it writes what is buffered.
 *
 * @example
 * const audit = AuditLogWriter.forDatabase(db, log);
 * audit.record({ event: "auth.failed", ip, requestId, details: { reason: "unknown_key", keyPrefix } });
 * await audit.close();
 */
export class AuditLogWriter implements AuditSink {
  readonly #insert: AuditLogWriterOptions["insert"];
  readonly #log: Logger;
  readonly #flushIntervalMs: number;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
  #buffer: AuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** A write is queued that will take the whole buffer when it starts. */
  #queued = false;
  /** Writes run one after the other on this chain; it never rejects. */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #written = 0;
  #dropped = 0;
  #lastDropLogAt = Number.NEGATIVE_INFINITY;

  constructor(options: AuditLogWriterOptions) {
    this.#insert = options.insert;
    this.#log = options.log;
    this.#flushIntervalMs = options.flushIntervalMs ?? 200;
    this.#batchSize = options.batchSize ?? 100;
    this.#maxBuffered = options.maxBuffered ?? 10_000;
  }

  /** A writer that inserts into `audit_log` with `insertAuditEvents`. */
  static forDatabase(
    db: Db,
    log: Logger,
    options: Omit<AuditLogWriterOptions, "insert" | "log"> = {},
  ): AuditLogWriter {
    return new AuditLogWriter({ ...options, log, insert: (events) => insertAuditEvents(db, events) });
  }

  record(event: AuditEvent): void {
    if (this.#closed) {
      this.#drop(1, "audit event recorded after close: dropped");
      return;
    }
    if (this.#buffer.length >= this.#maxBuffered) {
      this.#drop(1, "audit buffer full (database slow or away): events dropped");
      return;
    }
    // The time is taken now, not when the batch is written.
    this.#buffer.push(event.at ? event : { ...event, at: new Date() });
    if (this.#buffer.length >= this.#batchSize) void this.#queueWrite();
    else if (!this.#timer && !this.#queued) {
      this.#timer = setTimeout(() => void this.#queueWrite(), this.#flushIntervalMs);
      // Buffered audit events alone never keep the process alive; shutdown calls close().
      this.#timer.unref();
    }
  }

  /** Resolves once every event recorded before the call is written (or dropped). Never rejects. */
  flush(): Promise<void> {
    return this.#queueWrite();
  }

  /** Writes what is buffered and refuses (drops) later events. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): AuditLogStats {
    return { written: this.#written, dropped: this.#dropped, buffered: this.#buffer.length };
  }

  #queueWrite(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#queued) {
      this.#queued = true;
      this.#chain = this.#chain.then(() => this.#writeBuffered());
    }
    return this.#chain;
  }

  async #writeBuffered(): Promise<void> {
    this.#queued = false;
    const events = this.#buffer;
    this.#buffer = [];
    for (let start = 0; start < events.length; start += this.#batchSize) {
      const batch = events.slice(start, start + this.#batchSize);
      try {
        await this.#insert(batch);
        this.#written += batch.length;
      } catch (error) {
        this.#dropped += batch.length;
        // Logged every time: a failed insert is rare and the operator needs the error.
        this.#log.error(
          { err: error, events: batch.length, droppedTotal: this.#dropped },
          "audit events dropped: writing them failed",
        );
      }
    }
  }

  #drop(count: number, message: string): void {
    this.#dropped += count;
    const now = Date.now();
    if (now - this.#lastDropLogAt >= DROP_LOG_INTERVAL_MS) {
      this.#lastDropLogAt = now;
      this.#log.warn({ droppedTotal: this.#dropped }, message);
    }
  }
}
