import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";

// onShutdown in a real process: one Ctrl-C delivered twice (by the terminal to the process group and
// forwarded by npm) must still stop gracefully; a second press later exits at once.

const CHILD = join(import.meta.dirname, "fixtures", "shutdownChild.ts");

async function startChild(stopMs: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...process.env, STOP_MS: String(stopMs) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", () => reject(new Error(`exited early: ${output}`)));
    const check = setInterval(() => {
      if (output.includes("ready")) {
        clearInterval(check);
        resolve();
      }
    }, 10);
  });
  return { child, output: () => output };
}

async function waitForOutput(output: () => string, text: string): Promise<void> {
  while (!output().includes(text)) await sleep(5);
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

it("stops gracefully when one Ctrl-C arrives twice", async () => {
  const { child, output } = await startChild(500);
  const exited = exitCode(child);
  child.kill("SIGINT");
  // The second copy arrives once the first was handled (two pending signals would merge into one).
  await waitForOutput(output, '"msg":"stopping"');
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(output()).toContain('"msg":"stopped"');
  expect(output()).not.toContain("second signal");
});

it("exits at once on a second signal well after the first", async () => {
  const { child, output } = await startChild(30_000);
  const exited = exitCode(child);
  child.kill("SIGINT");
  await waitForOutput(output, '"msg":"stopping"');
  await sleep(1500);
  child.kill("SIGINT");
  expect(await exited).toBe(1);
  expect(output()).toContain("second signal while stopping");
});
