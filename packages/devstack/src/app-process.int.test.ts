import {
  harnessRedisUrl,
  REPO_ROOT,
  scaledTimeout,
  uniquePrefix,
  useTestDatabase,
} from "@accounts/tests/harness";
import { afterEach, describe, expect, it } from "vitest";
import { type AppProcess, type AppProcessOptions, launchApp } from "./app-process.ts";
import { freePort } from "./ports.ts";

// The launcher with the real built apps (the harness's global setup built them) on the harness's
// servers: readiness, failures at start, stop with its escalation, kill, restart.

const database = useTestDatabase();
const launched: AppProcess[] = [];
afterEach(async () => {
  await Promise.all(launched.splice(0).map((app) => app.kill()));
});

async function worker(options: Partial<AppProcessOptions> = {}, env: Record<string, string> = {}) {
  const app = launchApp({
    app: "worker",
    mode: "built",
    cwd: REPO_ROOT,
    readyTimeoutMs: scaledTimeout(30_000),
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: database.url(),
      REDIS_URL: harnessRedisUrl(),
      QUEUE_NAMESPACE: uniquePrefix("launcher").toLowerCase().slice(0, 32),
      WORKER_METRICS_PORT: String(await freePort()),
      ...env,
    },
    ...options,
  });
  launched.push(app);
  return app;
}

describe("launchApp", () => {
  it("resolves start() once /ready answers, relays its lines, and restarts it as a new process", async () => {
    const lines: string[] = [];
    const app = await worker({ onLine: (line) => lines.push(line) });
    expect(app.running()).toBe(false);
    const { readyMs } = await app.start();
    expect(readyMs).toBeGreaterThan(0);
    expect(app.running()).toBe(true);
    expect((await fetch(app.readyUrl)).status).toBe(200);
    expect(lines.some((line) => line.includes('"msg":"worker started"'))).toBe(true);
    expect(app.output()).toContain('"msg":"worker started"');

    const first = app.pid();
    await app.restart();
    expect(app.pid()).not.toBe(first);
    expect((await fetch(app.readyUrl)).status).toBe(200);
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    expect(app.running()).toBe(false);
  });

  it("rejects start() when the app exits first, with what it printed", async () => {
    const app = await worker({}, { PARTITIONS: "0" });
    await expect(app.start()).rejects.toThrow(/worker exited before it was ready \(code 1[\s\S]*PARTITIONS/);
    expect(app.running()).toBe(false);
  });

  it("SIGKILLs the process group when SIGTERM does not stop it in time", async () => {
    const app = await worker();
    await app.start();
    // A stopped process cannot act on SIGTERM; only the SIGKILL gets through.
    process.kill(app.pid(), "SIGSTOP");
    const status = await app.stop(300);
    expect(status).toEqual({ code: null, signal: "SIGKILL" });
    expect(app.output()).toContain("did not stop within 300 ms of SIGTERM");
  });

  it("kill() ends it at once, and it starts again on the same port", async () => {
    const app = await worker();
    await app.start();
    await app.kill();
    expect(app.running()).toBe(false);
    expect((await app.exited()).signal).toBe("SIGKILL");
    await app.start();
    expect((await fetch(app.readyUrl)).status).toBe(200);
  });

  it("a stop() while it starts makes start() reject, and leaves it stopped", async () => {
    const app = await worker();
    const starting = app.start();
    await app.stop();
    await expect(starting).rejects.toThrow(/stopped before it was ready|exited before it was ready/);
    expect(app.running()).toBe(false);
  });
});
