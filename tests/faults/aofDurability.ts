import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type AppendFsync, startRedis } from "@accounts/devstack";
import { Redis } from "ioredis";
import { parseFlags } from "../loadKit/cliFlags.ts";

// How many acknowledged writes survive `kill -9` of redis-server, per AOF fsync policy:
// `npx tsx tests/faults/aofDurability.ts --kills 30`. Each round, a few connections write counters
// as fast as Redis acknowledges them; at a random moment the server is SIGKILLed and restarted from
// its AOF; a counter lower than its last acknowledged value is a lost acknowledged write. Only the
// process dies: the kernel keeps what Redis had written(2), so this measures what a policy does
// before the reply, not what a power cut does.

const flags = parseFlags(process.argv.slice(2), { kills: 20, policies: "always,everysec", writers: 8 });

async function round(policy: AppendFsync, dir: string): Promise<{ acknowledged: number; lost: number }> {
  const server = await startRedis({ dataDir: dir, appendfsync: policy, quiet: true });
  const acked = new Array<number>(flags.writers).fill(0);
  let stop = false;
  const writers = acked.map(async (_, i) => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on("error", () => {});
    try {
      for (let n = 1; !stop; n++) {
        await redis.set(`counter:${i}`, n);
        acked[i] = n;
      }
    } catch {
      // The kill: this writer's last acknowledged value is in `acked`.
    } finally {
      redis.disconnect();
    }
  });
  await sleep(200 + Math.random() * 1_300);
  await server.kill("SIGKILL");
  stop = true;
  await Promise.all(writers);
  await server.restart();
  const reader = new Redis(server.url);
  let lost = 0;
  try {
    for (const [i, value] of acked.entries()) {
      const stored = Number((await reader.get(`counter:${i}`)) ?? 0);
      if (stored < value) lost += value - stored;
    }
  } finally {
    reader.disconnect();
    await server.stop();
  }
  return { acknowledged: acked.reduce((a, b) => a + b, 0), lost };
}

for (const policy of flags.policies.split(",") as AppendFsync[]) {
  let acknowledged = 0;
  let lost = 0;
  let roundsLosing = 0;
  for (let kill = 0; kill < flags.kills; kill++) {
    const dir = mkdtempSync(join(tmpdir(), "accounts-aof-"));
    chmodSync(dir, 0o755);
    try {
      const result = await round(policy, join(dir, "redis"));
      acknowledged += result.acknowledged;
      lost += result.lost;
      if (result.lost > 0) roundsLosing += 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(
    `appendfsync ${policy}: ${flags.kills} kills, ${acknowledged} acknowledged writes, ${lost} lost ` +
      `(in ${roundsLosing} of the kills)`,
  );
}
process.exit(0);
