import { capturingLogger } from "@accounts/runtime";
import { type Job, WaitingError } from "bullmq";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApplySummary } from "./applyJob.ts";
import { AppliedJobsLog, observeApplyJob } from "./observeJob.ts";

const summary = (operations: number, rejected = 0): ApplySummary => ({
  operations,
  applied: operations - rejected,
  rejected,
  replayed: 0,
  failed: 0,
});
const job = (id: string, ids: string[]) =>
  ({
    id,
    attemptsStarted: 1,
    data: { v: 1, operations: ids.map((opId) => ({ id: opId })) },
  }) as unknown as Job;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("AppliedJobsLog", () => {
  it("writes one debug line per job and one info line per interval totalling them", () => {
    const { log, lines } = capturingLogger();
    const applied = new AppliedJobsLog(log, 60_000);
    applied.job(3, job("7", ["op_a", "op_b"]), summary(2, 1), 4.567);
    applied.job(5, job("8", ["op_c"]), summary(1), 12.3);
    expect(lines).toMatchObject([
      { level: "debug", msg: "job applied", partition: 3, jobId: "7", operations: 2, rejected: 1, ms: 4.57 },
      { level: "debug", msg: "job applied", partition: 5, firstOperationId: "op_c", lastOperationId: "op_c" },
    ]);
    vi.advanceTimersByTime(60_000);
    expect(lines[2]).toMatchObject({
      level: "info",
      msg: "jobs applied since the last summary",
      jobs: 2,
      operations: 3,
      applied: 2,
      rejected: 1,
      partitions: 2,
      slowestMs: 12,
    });
    // Nothing applied since: no line.
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(3);
    applied.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("writes the totals not written yet when it closes (a worker stopping)", () => {
    const { log, lines } = capturingLogger("info");
    const applied = new AppliedJobsLog(log, 60_000);
    applied.job(0, job("1", ["op_a"]), summary(1), 1);
    expect(lines).toEqual([]);
    applied.close();
    expect(lines).toMatchObject([{ level: "info", jobs: 1, operations: 1 }]);
  });
});

describe("observeApplyJob", () => {
  it("reports applied jobs and failures, but not a job handed back to its queue", async () => {
    const { log } = capturingLogger();
    const applied = new AppliedJobsLog(log);
    const seen: string[] = [];
    const observer = { applied: () => void seen.push("applied"), failed: () => void seen.push("failed") };
    const outcomes = [
      async () => summary(1),
      async () => Promise.reject(new Error("bug")),
      async () => Promise.reject(new WaitingError()),
    ];
    for (const outcome of outcomes) {
      await observeApplyJob(outcome, 0, applied, observer)(job("1", ["op_a"])).catch(() => {});
    }
    expect(seen).toEqual(["applied", "failed"]);
    applied.close();
  });
});
