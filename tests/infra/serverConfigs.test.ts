import { spawn, spawnSync } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPostgresBinaries, findRedisBinaries, freePort, postgresRunAs } from "@accounts/devstack";
import { scaledTimeout, waitFor } from "@accounts/tests/harness";
import { afterAll, describe, expect, it } from "vitest";
import { readRepoFile } from "./support/infraFiles.ts";

// infra/postgres/postgresql.conf and infra/redis/redis.conf: each setting says why, the settings the
// design depends on are there, and the real servers accept the files as they are.

const POSTGRES_CONF = "infra/postgres/postgresql.conf";
const REDIS_CONF = "infra/redis/redis.conf";
const scratch = mkdtempSync(join(tmpdir(), "infra-conf-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Settings (non-comment lines) with no comment line right above them. */
function uncommented(text: string): string[] {
  const lines = text.split("\n");
  return lines.filter((line, index) => {
    if (line.trim() === "" || line.trimStart().startsWith("#")) return false;
    return !(lines[index - 1] ?? "").trimStart().startsWith("#");
  });
}

/** `name value` (Redis) or `name = value` (PostgreSQL) settings as a map. */
function settings(text: string, separator: RegExp): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const [name, ...rest] = line.trim().split(separator);
    map.set(name as string, rest.join(" ").replace(/^'(.*)'$/, "$1"));
  }
  return map;
}

describe("postgresql.conf", () => {
  const text = readRepoFile(POSTGRES_CONF);
  const conf = settings(text, /\s*=\s*/);

  it("says why for every setting", () => {
    expect(uncommented(text)).toEqual([]);
  });

  it("keeps the durability the ledger relies on", () => {
    expect(conf.get("fsync")).toBe("on");
    expect(conf.get("synchronous_commit")).toBe("on");
    expect(conf.get("full_page_writes")).toBe("on");
    expect(conf.get("wal_level")).toBe("replica");
    expect(conf.get("archive_mode")).toBe("on");
  });

  it("is accepted by PostgreSQL (postgres -C reads and checks every line)", {
    timeout: scaledTimeout(60_000),
  }, () => {
    const binaries = findPostgresBinaries();
    const account = postgresRunAs();
    const dataDir = join(scratch, "pgdata");
    mkdirSync(dataDir);
    const confFile = join(scratch, "postgresql.conf");
    writeFileSync(confFile, text);
    const asAccount = account ? { uid: account.uid, gid: account.gid } : {};
    if (account) {
      chownSync(scratch, account.uid, account.gid);
      chownSync(dataDir, account.uid, account.gid);
      chownSync(confFile, account.uid, account.gid);
    }
    const init = spawnSync(binaries.initdb, ["-D", dataDir, "--no-sync", "-A", "trust"], {
      ...asAccount,
      encoding: "utf8",
    });
    expect(init.status, init.stderr).toBe(0);
    for (const [name, expected] of [
      ["max_connections", conf.get("max_connections")],
      ["synchronous_standby_names", conf.get("synchronous_standby_names")],
    ] as const) {
      const shown = spawnSync(
        binaries.postgres,
        ["-D", dataDir, "-c", `config_file=${confFile}`, "-C", name],
        {
          ...asAccount,
          encoding: "utf8",
        },
      );
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout.trim()).toBe(expected);
    }
  });
});

describe("redis.conf", () => {
  const text = readRepoFile(REDIS_CONF);
  const conf = settings(text, /\s+/);

  it("says why for every setting", () => {
    expect(uncommented(text)).toEqual([]);
  });

  it("has what docs/architecture.md requires: the append-only file and noeviction, with a memory limit", () => {
    expect(conf.get("appendonly")).toBe("yes");
    expect(conf.get("maxmemory-policy")).toBe("noeviction");
    expect(conf.get("maxmemory")).toMatch(/^[1-9]\d*(gb|mb)$/);
    expect(conf.get("appendfsync")).toMatch(/^(everysec|always)$/);
    expect(conf.get("cluster-enabled")).toBe("yes");
  });

  it("is accepted by redis-server, which then reports those settings", async () => {
    const { redisServer, redisCli } = findRedisBinaries();
    const dir = join(scratch, "redis");
    mkdirSync(dir);
    // The pod's paths point into the scratch folder; everything else is the file as committed.
    const local = text
      .replace(/^dir .*$/m, `dir ${dir}`)
      .replace(/^cluster-config-file .*$/m, `cluster-config-file ${dir}/nodes.conf`);
    const confFile = join(dir, "redis.conf");
    writeFileSync(confFile, local);
    const port = await freePort();
    const server = spawn(
      redisServer,
      [confFile, "--port", String(port), "--bind", "127.0.0.1", "--requirepass", "test"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    server.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitFor(() => output.includes("Ready to accept connections") || server.exitCode !== null, {
        timeoutMs: scaledTimeout(10_000),
        message: "redis-server starting",
      });
      expect(server.exitCode, output).toBeNull();
      const get = (name: string) =>
        spawnSync(redisCli, ["-p", String(port), "--no-auth-warning", "-a", "test", "config", "get", name], {
          encoding: "utf8",
        }).stdout.split("\n")[1];
      expect(get("maxmemory-policy")).toBe("noeviction");
      expect(get("appendonly")).toBe("yes");
    } finally {
      server.kill("SIGKILL");
    }
  });
});
