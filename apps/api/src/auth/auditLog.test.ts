import { Writable } from "node:stream";
import type { AuditEvent } from "@accounts/db";
import { createLogger } from "@accounts/runtime";
import { describe, expect, it } from "vitest";
import { AuditLogWriter } from "./auditLog.ts";

// The database is replaced by an in-memory insert function here; auth.int.test.ts writes to the
// real audit_log table.

function captureLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { log: createLogger({ service: "test", level: "debug", destination }), lines };
}

function recorder(options: { fail?: () => boolean; delayMs?: number } = {}) {
  const batches: AuditEvent[][] = [];
  const insert = async (events: readonly AuditEvent[]) => {
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (options.fail?.()) throw new Error("database is away");
    batches.push([...events]);
  };
  return { batches, insert };
}

const event = (n: number): AuditEvent => ({ event: "test.event", details: { n } });

describe("AuditLogWriter", () => {
  it("never writes from record() itself, and writes within the flush interval", async () => {
    const { batches, insert } = recorder();
    const writer = new AuditLogWriter({ insert, log: captureLog().log, flushIntervalMs: 20 });
    writer.record(event(1));
    writer.record(event(2));
    expect(batches).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((e) => e.details?.n)).toEqual([1, 2]);
    expect(batches[0]?.[0]?.at).toBeInstanceOf(Date);
    expect(writer.stats()).toEqual({ written: 2, dropped: 0, buffered: 0 });
    await writer.close();
  });

  it("writes a full batch at once and splits large flushes into batches", async () => {
    const { batches, insert } = recorder();
    const writer = new AuditLogWriter({
      insert,
      log: captureLog().log,
      flushIntervalMs: 60_000,
      batchSize: 10,
    });
    for (let i = 0; i < 10; i++) writer.record(event(i));
    await writer.flush();
    expect(batches.map((batch) => batch.length)).toEqual([10]);
    for (let i = 0; i < 25; i++) writer.record(event(i));
    await writer.flush();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 10, 5]);
    expect(writer.stats().written).toBe(35);
  });

  it("keeps the order of events across batches", async () => {
    const { batches, insert } = recorder({ delayMs: 5 });
    const writer = new AuditLogWriter({ insert, log: captureLog().log, flushIntervalMs: 1, batchSize: 3 });
    for (let i = 0; i < 50; i++) {
      writer.record(event(i));
      if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await writer.close();
    expect(batches.flat().map((e) => e.details?.n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("survives a failing database: logs, counts the dropped events and carries on", async () => {
    let failing = true;
    const { batches, insert } = recorder({ fail: () => failing });
    const { log, lines } = captureLog();
    const writer = new AuditLogWriter({ insert, log, flushIntervalMs: 60_000 });
    writer.record(event(1));
    writer.record(event(2));
    await expect(writer.flush()).resolves.toBeUndefined();
    expect(writer.stats()).toEqual({ written: 0, dropped: 2, buffered: 0 });
    expect(lines.join("")).toContain("audit events dropped");
    failing = false;
    writer.record(event(3));
    await writer.flush();
    expect(batches.flat().map((e) => e.details?.n)).toEqual([3]);
    expect(writer.stats()).toEqual({ written: 1, dropped: 2, buffered: 0 });
  });

  it("bounds its buffer while the database is slow", async () => {
    const { insert } = recorder({ delayMs: 50 });
    const { log, lines } = captureLog();
    const writer = new AuditLogWriter({
      insert,
      log,
      flushIntervalMs: 60_000,
      batchSize: 5,
      maxBuffered: 20,
    });
    for (let i = 0; i < 1000; i++) writer.record(event(i));
    expect(writer.stats().buffered).toBeLessThanOrEqual(20);
    await writer.close();
    const stats = writer.stats();
    expect(stats.written + stats.dropped).toBe(1000);
    expect(stats.dropped).toBeGreaterThan(900);
    // Drops are logged once per interval, not once per event.
    expect(lines.filter((line) => line.includes("audit buffer full"))).toHaveLength(1);
  });

  it("drops (and counts) what is recorded after close", async () => {
    const { batches, insert } = recorder();
    const writer = new AuditLogWriter({ insert, log: captureLog().log });
    writer.record(event(1));
    await writer.close();
    writer.record(event(2));
    await writer.flush();
    expect(batches.flat()).toHaveLength(1);
    expect(writer.stats().dropped).toBe(1);
  });
});
