import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import {
  APP_NAMES,
  type AppProcess,
  appCommand,
  builtEntry,
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  launchApp,
  READY_PORT_VARIABLE,
} from "@accounts/devstack";
import { harnessRedisUrl, REPO_ROOT, scaledTimeout, uniquePrefix } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// What the Docker image's runtime stage holds, reproduced here (the same script builds it): a folder
// with only the bundles (dist/) and a production install of the apps' dependencies. The built API,
// worker and scheduler start from it with node alone (no tsx, no loader, no devDependency anywhere
// to be found), migrate with the built ctl, answer /health 200 and apply an operation end to end.

const run = promisify(execFile);
const DATABASE = `built_${process.pid}`;
let runtime: string;
let adminUrl: string;
const apps: AppProcess[] = [];

/** The environment of a container: what the manifests set, nothing from this shell. */
const containerEnv = () => ({
  PATH: process.env.PATH ?? "",
  HOME: runtime,
  NODE_ENV: "production",
  DATABASE_URL: databaseUrl(adminUrl, DATABASE),
  REDIS_URL: harnessRedisUrl(),
  QUEUE_NAMESPACE: uniquePrefix("built").toLowerCase().slice(0, 32),
  BACKUP_DIR: join(runtime, "backups"),
  SCHEDULE_BACKUP: "off",
  LOG_LEVEL: "warn",
});

function ctl(args: string[], env: Record<string, string>) {
  const { command, args: ctlArgs } = appCommand("ctl", "built");
  return run(command, [...ctlArgs, ...args], { cwd: runtime, env, timeout: scaledTimeout(30_000) });
}

beforeAll(async () => {
  adminUrl = inject("adminDatabaseUrl");
  runtime = mkdtempSync(join(tmpdir(), "accounts-runtime-"));
  // The global setup has just built dist/; this is the Dockerfile's `assemble-runtime.sh /src /runtime`.
  await run("sh", [join(REPO_ROOT, "infra", "docker", "assemble-runtime.sh"), REPO_ROOT, runtime], {
    timeout: scaledTimeout(240_000),
  });
  await createDatabase(adminUrl, DATABASE);
}, scaledTimeout(300_000));

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await dropDatabase(adminUrl, DATABASE).catch(() => {});
  rmSync(runtime, { recursive: true, force: true });
});

describe("the runtime folder", () => {
  it("holds the bundles and package manifests, and no source file", () => {
    const files = walk(runtime).map((path) => relative(runtime, path));
    for (const app of APP_NAMES) {
      expect(files).toContain(builtEntry(app));
      expect(files).toContain(`${builtEntry(app)}.map`);
    }
    const unexpected = files.filter(
      (file) =>
        !file.startsWith("dist/") &&
        !/^(package(-lock)?\.json|(apps|packages)\/[^/]+\/package\.json|tests\/package\.json)$/.test(file),
    );
    expect(unexpected).toEqual([]);
  });

  it("has no devDependency installed, and node cannot find tsx or vitest from the bundles", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const installed = Object.keys(
      (
        JSON.parse(readFileSync(join(runtime, "node_modules", ".package-lock.json"), "utf8")) as {
          packages: Record<string, unknown>;
        }
      ).packages,
    );
    expect(installed.length).toBeGreaterThan(20);
    expect(installed.filter((path) => lock.packages[path]?.dev === true)).toEqual([]);
    for (const name of ["tsx", "vitest", "esbuild", "@biomejs/biome", "fast-check", "playwright-core"]) {
      expect(existsSync(join(runtime, "node_modules", name)), name).toBe(false);
      const fromBundle = createRequire(join(runtime, builtEntry("api")));
      expect(() => fromBundle.resolve(name), name).toThrow();
    }
  });
});

describe("the built apps, run by node alone from the runtime folder", () => {
  it("migrate with the built ctl, start, and answer /health 200", async () => {
    const env = containerEnv();
    const migrated = await ctl(["migrate"], env);
    expect(migrated.stdout).toMatch(/^applied: \d+_initial/);

    for (const app of ["api", "worker", "scheduler"] as const) {
      apps.push(
        launchApp({
          app,
          mode: "built",
          cwd: runtime,
          env: { ...env, [READY_PORT_VARIABLE[app]]: String(await freePort()) },
          readyTimeoutMs: scaledTimeout(30_000),
        }),
      );
    }
    await Promise.all(apps.map((app) => app.start()));
    for (const app of apps) {
      const health = await fetch(new URL("/health", app.readyUrl));
      expect(health.status, `${app.name}:\n${app.output()}`).toBe(200);
      expect(await health.json()).toMatchObject({ status: "healthy" });
    }
  });

  it("apply an operation accepted by the API with a key made by the built ctl", async () => {
    const api = apps.find((app) => app.app === "api");
    if (!api) throw new Error("the previous test starts the apps");
    const created = await ctl(
      ["clients", "create", "--name", "built", "--scopes", "operations:write,operations:read", "--json"],
      containerEnv(),
    );
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const base = new URL(api.readyUrl).origin;
    const accepted = await fetch(`${base}/v1/operations`, {
      method: "POST",
      headers,
      body: JSON.stringify({ type: "credit", account: { userId: "built", currency: "USD" }, amount: "1.5" }),
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const result = await fetch(`${base}/v1/operations/${id}?wait=10`, { headers });
    expect(await result.json()).toMatchObject({ id, status: "applied" });
  });

  it("stop on SIGTERM with exit code 0", async () => {
    const codes = await Promise.all(apps.map(async (app) => (await app.stop()).code));
    expect(codes).toEqual([0, 0, 0]);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules") return [];
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
