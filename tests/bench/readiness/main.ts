// `npm run bench:readiness -- --restarts 5`: how long an app takes from its (re)start to answering
// /ready 200, built (node dist/<app>/main.js, as production and the tests run it) and from source
// (tsx's loader, as npm start runs it). Each restart follows a SIGKILL, as in the fault suite. Runs on
// a PostgreSQL and a Redis of its own; a couple of minutes on an idle machine.
import { cpus, loadavg } from "node:os";
import {
  type AppProcess,
  createDatabase,
  databaseUrl,
  freePort,
  type LaunchMode,
  launchApp,
  READY_PORT_VARIABLE,
  type ServerAppName,
} from "@accounts/devstack";
import { buildAppsForTests, REPO_ROOT } from "@accounts/tests/harness";
import { parseFlags } from "../../loadKit/cliFlags.ts";
import { startOwnServers } from "../../loadKit/ownServers.ts";
import { table } from "../../loadKit/textTable.ts";
import { cpuSeconds } from "../http/measure.ts";

const flags = parseFlags(process.argv.slice(2), { restarts: 5 });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

await buildAppsForTests();
const servers = await startOwnServers({ label: "readiness", appendfsync: "everysec" });
const rows: string[][] = [];
try {
  await createDatabase(servers.postgres.url, "readiness", { template: servers.templateDatabase });
  const common = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    DATABASE_URL: databaseUrl(servers.postgres.url, "readiness"),
    REDIS_URL: servers.redis.url,
    LOG_LEVEL: "warn",
    SCHEDULE_BACKUP: "off",
    BACKUP_DIR: `${servers.dir}/backups`,
  };
  for (const mode of ["built", "source"] as LaunchMode[]) {
    for (const app of ["api", "worker", "scheduler"] as ServerAppName[]) {
      const launched: AppProcess = launchApp({
        app,
        mode,
        cwd: REPO_ROOT,
        env: { ...common, [READY_PORT_VARIABLE[app]]: String(await freePort()) },
        readyTimeoutMs: 120_000,
      });
      const first = (await launched.start()).readyMs;
      const restarts: number[] = [];
      // CPU seconds the process used until ready: what the wall time would be on an idle core, and
      // much less sensitive than the wall time to what else the machine runs.
      const cpu: number[] = [];
      for (let i = 0; i < flags.restarts; i++) {
        await launched.kill();
        restarts.push((await launched.start()).readyMs);
        cpu.push(cpuSeconds(launched.pid()) * 1000);
      }
      await launched.stop();
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      restarts.sort((a, b) => a - b);
      rows.push([
        mode,
        app,
        ms(first),
        ms(median(restarts)),
        ms(restarts[0] ?? 0),
        ms(restarts.at(-1) ?? 0),
        ms(median(cpu)),
      ]);
      console.log(`${mode} ${app}: first ${ms(first)}, restarts ${restarts.map(ms).join(" ")}`);
    }
  }
} finally {
  await servers.stop();
}
console.log(
  `\nreadiness after a SIGKILL, ${flags.restarts} restarts each (${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)})`,
);
console.log(
  table([["mode", "app", "first start", "restart median", "min", "max", "CPU to ready (median)"], ...rows]),
);

function ms(value: number): string {
  return `${(value / 1000).toFixed(2)} s`;
}
