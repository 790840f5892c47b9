/**
 * `npx tsx tests/bench/replicaWait/main.ts [--jobs N] [--rounds N]`: what ACCEPT_MIN_REPLICAS=1 costs
 * the store path alone, without HTTP or workers. A Redis master with a local replica (devstack); 16
 * partitions each storing one-operation jobs one after the other (as the coalescer does: one store in
 * flight per partition) over the one shared queue connection, with and without the WAIT after each
 * job, in alternating rounds. Prints jobs/s and the store latency (p50/p99) of each round.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRedis, waitForReplicaSync } from "@accounts/devstack";
import { newQueuedOperation } from "@accounts/domain";
import { createRedis, JOB_OPTIONS, partitionQueue, storeApplyJob, waitForReplicas } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { Queue } from "bullmq";

const { values } = parseArgs({ options: { jobs: { type: "string" }, rounds: { type: "string" } } });
const jobsPerRound = Number(values.jobs ?? 4000);
const rounds = Number(values.rounds ?? 3);
const PARTITIONS = 16;
const dir = mkdtempSync(join(tmpdir(), "bench-replica-wait-"));
const master = await startRedis({ dataDir: join(dir, "master"), quiet: true });
const replica = await startRedis({ dataDir: join(dir, "replica"), replicaOf: master.port, quiet: true });
await waitForReplicaSync(master.port, 1);
const connection = createRedis(
  { url: master.url },
  "queue",
  createLogger({ service: "bench", level: "silent" }),
);
const catalog = { namespace: "benchwait", partitions: PARTITIONS };
const states = { redis: connection, namespace: catalog.namespace, ttlSeconds: 600 };
const queues = Array.from({ length: PARTITIONS }, (_, p) => {
  const ref = partitionQueue(catalog, p);
  return new Queue(ref.name, { connection, prefix: ref.prefix, defaultJobOptions: JOB_OPTIONS.partition });
});

async function round(minReplicas: number): Promise<{ jobsPerSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    queues.map(async (queue, partition) => {
      for (let i = 0; i < jobsPerRound / PARTITIONS; i++) {
        const op = newQueuedOperation(
          { type: "credit", account: { userId: `u${partition}-${i}`, currency: "USD" }, amount: "1" },
          "bench",
          "-",
          partition,
        );
        const t0 = performance.now();
        await storeApplyJob(queue, partition, [op], states);
        await waitForReplicas(connection, queue.toKey("wait"), { minReplicas, timeoutMs: 1000 });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  await Promise.all(queues.map((queue) => queue.obliterate({ force: true })));
  return { jobsPerSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

try {
  await round(0); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const minReplicas of [0, 1]) {
      const result = await round(minReplicas);
      console.log(
        `ACCEPT_MIN_REPLICAS=${minReplicas}: ${Math.round(result.jobsPerSecond)} jobs/s, ` +
          `store p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`,
      );
    }
  }
} finally {
  await Promise.all(queues.map((queue) => queue.close()));
  connection.disconnect();
  await replica.stop();
  await master.stop();
  rmSync(dir, { recursive: true, force: true });
}
