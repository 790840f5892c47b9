import { setTimeout as sleep } from "node:timers/promises";

/** A BullMQ Queue or Worker: anything that sets its connection up at construction and closes. */
export interface SettlingClosable {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Closes a BullMQ Queue or Worker once the connection set-up it started at construction has settled
 * (or after `settleMs`, when Redis is unreachable and it never will).
 *
 * BullMQ (5.x) removes every listener of its connection wrapper on close. A set-up still running then
 * (the INFO it reads on a shared connection) fails once the connection is quit, and is reported with
 * `emit('error')` on an emitter that has no listener left: an unhandled rejection, which ends a
 * Node process. A Queue or Worker closed within milliseconds of its creation (a short task, a
 * shutdown right after start, a test) met it.
 *
 * @example
 * await closeSettled(queue);
 * await connection.quit();
 */
export async function closeSettled(target: SettlingClosable, settleMs = 1000): Promise<void> {
  const abort = new AbortController();
  await Promise.race([
    target.waitUntilReady().catch(() => {}),
    sleep(settleMs, undefined, { signal: abort.signal, ref: false }).catch(() => {}),
  ]);
  abort.abort();
  await target.close();
}
