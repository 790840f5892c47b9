import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ApiConnection } from "../loadKit/apiConnection.ts";
import { randomOperation } from "../loadKit/operationMix.ts";
import type { Random } from "../loadKit/random.ts";

/** Counters of a load, since its start. */
export interface LoadCounters {
  sent: number;
  acknowledged: number;
  /** Answered with anything but a 2xx. */
  refused: number;
  /** No answer (connection error or timeout). */
  failed: number;
  /** Due but not sent: every connection was busy (the system is not keeping up with the rate). */
  behind: number;
}

export interface LoadShape {
  connections: readonly ApiConnection[];
  accounts: readonly string[];
  random: Random;
}

/** Sends one keyed operation of the mix on `connection` and counts how it ended. */
async function sendOne(connection: ApiConnection, shape: LoadShape, counters: LoadCounters): Promise<void> {
  const userId = shape.random.pick(shape.accounts);
  const { request } = randomOperation(shape.random, userId, shape.accounts, "soak-fees");
  counters.sent += 1;
  // Keyed like a real caller's operations: the idempotency records are part of what Redis holds.
  const attempt = await connection.post("/v1/operations", request, { "idempotency-key": randomUUID() });
  if (attempt.kind !== "answer") counters.failed += 1;
  else if (attempt.status >= 200 && attempt.status < 300) counters.acknowledged += 1;
  else counters.refused += 1;
}

/**
 * An open-loop load: `rate` operations per second whatever the answers take, each on a free
 * connection (one request at a time per connection). When every connection is busy an operation
 * is skipped and counted as `behind` rather than queued without bound in the load generator.
 *
 * @example
 * const load = startRateLoad({ connections, accounts, random }, 200);
 * await load.stop(); load.counters.acknowledged;
 */
export function startRateLoad(
  shape: LoadShape,
  rate: number,
): { counters: LoadCounters; stop(): Promise<void> } {
  const counters: LoadCounters = { sent: 0, acknowledged: 0, refused: 0, failed: 0, behind: 0 };
  const free = [...shape.connections];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let due = 0;
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const target = Math.floor(((Date.now() - started) / 1000) * rate);
      while (due < target) {
        due += 1;
        const connection = free.pop();
        if (!connection) {
          counters.behind += 1;
          continue;
        }
        const sending = sendOne(connection, shape, counters).finally(() => {
          free.push(connection);
          inFlight.delete(sending);
        });
        inFlight.add(sending);
      }
      await sleep(10);
    }
  })();
  return {
    counters,
    stop: async () => {
      stopping = true;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

/**
 * The rate the stack sustains end to end: every connection submits back to back for `seconds`,
 * then `drained()` waits until the workers applied everything; capacity is what was acknowledged
 * divided by the whole time, acceptance and application both.
 */
export async function measureCapacity(
  shape: LoadShape,
  seconds: number,
  drained: () => Promise<void>,
): Promise<{ perSecond: number; counters: LoadCounters }> {
  const counters: LoadCounters = { sent: 0, acknowledged: 0, refused: 0, failed: 0, behind: 0 };
  const started = Date.now();
  const until = started + seconds * 1000;
  await Promise.all(
    shape.connections.map(async (connection) => {
      while (Date.now() < until) await sendOne(connection, shape, counters);
    }),
  );
  await drained();
  return { perSecond: counters.acknowledged / ((Date.now() - started) / 1000), counters };
}
