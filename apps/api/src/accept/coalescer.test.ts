import { describe, expect, it } from "vitest";
import { Coalescer } from "./coalescer.ts";

function recorder(delayMs = 0, fail?: (items: number[]) => boolean) {
  const jobs: { partition: number; items: number[] }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store = async (partition: number, items: number[]) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight -= 1;
    if (fail?.(items)) throw new Error("redis down");
    jobs.push({ partition, items });
  };
  return { jobs, store, maxInFlight: () => maxInFlight };
}

describe("Coalescer", () => {
  it("stores concurrent submissions of one partition as one job, in submission order", async () => {
    const r = recorder();
    const c = new Coalescer<number>({ maxWaitMs: 2, maxItems: 100, store: r.store });
    await Promise.all([c.submit(3, [1]), c.submit(3, [2, 3]), c.submit(3, [4])]);
    expect(r.jobs).toEqual([{ partition: 3, items: [1, 2, 3, 4] }]);
  });

  it("stores a lone submission at the end of the turn, without waiting for a timer", async () => {
    const stored: number[][] = [];
    const c = new Coalescer<number>({
      maxWaitMs: 0,
      maxItems: 100,
      store: async (_partition, items) => {
        stored.push(items);
      },
    });
    const done = c.submit(0, [1]);
    expect(stored).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stored).toEqual([[1]]);
    await done;
  });

  it("keeps partitions apart", async () => {
    const r = recorder();
    const c = new Coalescer<number>({ maxWaitMs: 0, maxItems: 100, store: r.store });
    await Promise.all([c.submit(1, [1]), c.submit(2, [2]), c.submit(1, [3])]);
    expect(r.jobs.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 1, items: [1, 3] },
      { partition: 2, items: [2] },
    ]);
  });

  it("caps a job at maxItems without splitting a submission, and splits one larger than the cap", async () => {
    const r = recorder(1);
    const c = new Coalescer<number>({ maxWaitMs: 5, maxItems: 3, store: r.store });
    await Promise.all([
      c.submit(0, [1, 2]),
      c.submit(0, [3, 4]),
      c.submit(0, [5]),
      c.submit(0, [6, 7, 8, 9]),
    ]);
    const all = r.jobs.flatMap((j) => j.items);
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const job of r.jobs) expect(job.items.length).toBeLessThanOrEqual(3);
    expect(r.jobs.map((j) => j.items)).toContainEqual([1, 2]);
  });

  it("has at most one store in flight per partition; what arrives meanwhile becomes the next job", async () => {
    const r = recorder(10);
    const c = new Coalescer<number>({ maxWaitMs: 0, maxItems: 100, store: r.store });
    const first = c.submit(0, [1]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const later = [c.submit(0, [2]), c.submit(0, [3])];
    await Promise.all([first, ...later]);
    expect(r.jobs.map((j) => j.items)).toEqual([[1], [2, 3]]);
    expect(r.maxInFlight()).toBe(1);
  });

  it("rejects every submitter of a job that could not be stored, and only them", async () => {
    const r = recorder(0, (items) => items.includes(1));
    const c = new Coalescer<number>({ maxWaitMs: 1, maxItems: 100, store: r.store });
    const a = c.submit(0, [1]);
    const b = c.submit(0, [2]);
    await expect(a).rejects.toThrow("redis down");
    await expect(b).rejects.toThrow("redis down");
    await expect(c.submit(0, [3])).resolves.toBeUndefined();
    expect(r.jobs).toEqual([{ partition: 0, items: [3] }]);
  });
});
