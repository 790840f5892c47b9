import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, updateStackState } from "@accounts/devstack";
import { scaledTimeout } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leftovers, type NpmStart, runNpmStart, type SignalTarget } from "./npmStart.ts";

// `npm start` must never exit with anything it started still running, whatever signals arrive and
// when. The real `npm start` (npm, its script, PostgreSQL, Redis, migrations, the three apps) runs
// in a data folder of its own, gets the signal once or twice, at its pid or its process group, at
// each stage of its start-up (each recognised by the line it prints there, never by waiting), and
// must then leave no process behind. Every case starts on the folder the previous one left: a
// server left running would make that start fail ("already running"). One test file per signal, so
// that the two halves of the matrix run side by side.

const apiKey = `ak_0123456789abcdef_${randomBytes(32).toString("base64url")}`;

interface Stage {
  name: string;
  /** The line `npm start` prints when it enters the stage. */
  line: RegExp;
  /** What happens between that line and the signal. */
  during?: (stack: NpmStart) => Promise<unknown>;
}

const STAGES: Stage[] = [
  { name: "before Redis starts", line: /^\[start\] data in / },
  { name: "while Redis starts", line: /^\[start\] starting Redis$/ },
  { name: "while PostgreSQL starts", line: /^\[start\] starting PostgreSQL$/ },
  { name: "during migrations", line: /^\[start\] applying migrations$/ },
  { name: "while the apps start", line: /^\[start\] starting the apps$/ },
  { name: "once ready", line: /^accounts processor is running$/ },
  {
    name: "under requests",
    line: /^accounts processor is running$/,
    during: (stack) => requestsInFlight(stack),
  },
];
const TARGETS: SignalTarget[] = ["pid", "group"];
const TIMES = [1, 2] as const;

/** A second Ctrl-C, as a person presses it: after start.ts's window for copies of the first (1 s). */
const SECOND_PRESS_AFTER_MS = 1_300;

/** The whole matrix for one signal: every stage, to the pid and the group, once and twice. */
export function describeStopMatrix(signal: "SIGTERM" | "SIGINT"): void {
  const cases = STAGES.flatMap((stage) =>
    TARGETS.flatMap((target) => TIMES.map((times) => ({ stage, target, times }))),
  );
  let dataDir = "";
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "accounts-npm-start-"));
    // PostgreSQL runs as the postgres account when we are root: it must enter the folder.
    chmodSync(dataDir, 0o755);
    // Ports of its own, as if an earlier start had them: the other half of the matrix runs beside
    // this one, and both would otherwise race for the usual 55432 and 56379.
    updateStackState(dataDir, { postgresPort: await freePort(), redisPort: await freePort() });
  });
  afterAll(() => {
    // Only after a failure is there anything to kill here.
    for (const line of leftovers(dataDir)) process.kill(Number(line.split(" ")[0]), "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });

  describe(`npm start, ${signal}: nothing is left running`, () => {
    for (const { stage, target, times } of cases) {
      const to = target === "group" ? "its process group" : "its pid";
      it(`${signal} ${times === 1 ? "once" : "twice"} to ${to} ${stage.name}`, {
        timeout: scaledTimeout(120_000),
      }, async () => {
        const stack = await runNpmStart(dataDir, apiKey);
        await stack.waitForLine(stage.line);
        const inFlight = stage.during?.(stack);
        stack.signal(signal, target);
        if (times === 2) {
          // The second one while it stops (unless it has already finished).
          await Promise.race([stack.waitForLine(/^\[start\] SIG\w+: stopping/), stack.exited]);
          await Promise.race([sleep(SECOND_PRESS_AFTER_MS), stack.exited]);
          stack.signal(signal, target);
        }
        await stack.exited;
        await inFlight;
        expect(leftovers(dataDir), stack.output()).toEqual([]);
        const started = /^\[start\] (Redis|PostgreSQL) on port/m.test(stack.output());
        if (started) expect(stack.output()).toMatch(/^\[start\] stopped$/m);
      });
    }

    it("starts again on what the last stop left, and stops on one Ctrl-C", {
      timeout: scaledTimeout(120_000),
    }, async () => {
      const stack = await runNpmStart(dataDir, apiKey);
      await stack.waitForLine(/^accounts processor is running$/);
      const health = await fetch(`http://127.0.0.1:${stack.env.PORT}/health`);
      expect(health.status).toBe(200);
      stack.signal("SIGINT", "group");
      expect(await stack.exited).toBe(0);
      expect(leftovers(dataDir), stack.output()).toEqual([]);
    });
  });
}

/** A few operations submitted and not yet answered when the signal comes. */
async function requestsInFlight(stack: NpmStart): Promise<void> {
  const submit = (i: number) =>
    fetch(`http://127.0.0.1:${stack.env.PORT}/v1/operations`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        type: "credit",
        account: { userId: `signals-${i % 5}`, currency: "USD" },
        amount: "1",
      }),
    }).then(
      (response) => response.arrayBuffer(),
      () => undefined,
    );
  // Answered while the stack stops, or refused once the API is gone: either is fine here.
  await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i)));
}
