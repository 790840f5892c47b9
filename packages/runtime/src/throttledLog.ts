import type { Logger } from "pino";

export type ThrottledLevel = "info" | "warn" | "error";

export interface ThrottledLogOptions {
  /** A key is logged at most once per this many milliseconds; repeats in between are counted. */
  intervalMs: number;
}

interface Held {
  level: ThrottledLevel;
  fields: Record<string, unknown>;
  message: string;
  /** Lines held back since the window opened. */
  suppressed: number;
  timer: NodeJS.Timeout;
}

/**
 * Logs an event that can repeat many times a second (an outage seen by every connection and every
 * consumer of a process) at most once per `intervalMs` per key. The first occurrence is logged at
 * once; the repeats inside the window are held back and counted, and when the window ends the last
 * of them is logged with `suppressed: N` (how many lines were held back), which opens the next
 * window. A key that stops repeating stops logging after that one summary line.
 *
 * @example
 * const errors = new ThrottledLog(log, { intervalMs: 30_000 });
 * connection.on("error", (err) => errors.warn(`redis:${err.code}`, { err }, "Redis connection error"));
 * // {"level":"warn","err":{...},"msg":"Redis connection error"}
 * // 30 s later, after 450 more: {"level":"warn","err":{...},"suppressed":450,"msg":"Redis connection error"}
 */
export class ThrottledLog {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #windows = new Map<string, Held>();

  constructor(log: Logger, options: ThrottledLogOptions) {
    this.#log = log;
    this.#intervalMs = options.intervalMs;
  }

  info(key: string, fields: Record<string, unknown>, message: string): void {
    this.#report("info", key, fields, message);
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.#report("warn", key, fields, message);
  }

  error(key: string, fields: Record<string, unknown>, message: string): void {
    this.#report("error", key, fields, message);
  }

  /** Logs what is held back now (at shutdown) and stops the timers. */
  flush(): void {
    for (const key of [...this.#windows.keys()]) this.#closeWindow(key, false);
  }

  #report(level: ThrottledLevel, key: string, fields: Record<string, unknown>, message: string): void {
    const held = this.#windows.get(key);
    if (held) {
      held.level = level;
      held.fields = fields;
      held.message = message;
      held.suppressed += 1;
      return;
    }
    this.#log[level](fields, message);
    this.#openWindow(key, level, fields, message);
  }

  #openWindow(key: string, level: ThrottledLevel, fields: Record<string, unknown>, message: string): void {
    const timer = setTimeout(() => this.#closeWindow(key, true), this.#intervalMs);
    timer.unref();
    this.#windows.set(key, { level, fields, message, suppressed: 0, timer });
  }

  #closeWindow(key: string, reopen: boolean): void {
    const held = this.#windows.get(key);
    if (!held) return;
    clearTimeout(held.timer);
    this.#windows.delete(key);
    if (held.suppressed === 0) return;
    this.#log[held.level]({ ...held.fields, suppressed: held.suppressed }, held.message);
    // Still repeating: the next summary comes one interval later, not at the next occurrence.
    if (reopen) this.#openWindow(key, held.level, held.fields, held.message);
  }
}
