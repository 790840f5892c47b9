import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClient } from "../../scripts/build.ts";
import { type Caller, createCaller, ROOT } from "./support.ts";

// The package as users get it: built, packed, installed into a project outside this repository
// (which can resolve nothing of the workspace), type-checked there against its declarations, and
// every example of docs/client.md run against a real stack.

const PACKAGE = join(ROOT, "packages", "client");
const require = createRequire(import.meta.url);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The TypeScript examples of a Markdown page, in order. */
export function typescriptExamples(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

const examples = typescriptExamples(readFileSync(join(ROOT, "docs", "client.md"), "utf8"));
let workDir: string;
let consumer: string;
let packed: { files: string[] };
let stack: AppStack;
let caller: Caller;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "client-package-"));
  consumer = join(workDir, "consumer");
  await buildClient();
  const pack = await run("npm", ["pack", "--json", "--pack-destination", workDir], { cwd: PACKAGE });
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [tarball] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (!tarball) throw new Error("npm pack made no tarball");
  packed = { files: tarball.files.map((f) => f.path).sort() };
  const installed = join(consumer, "node_modules", "@accounts", "client");
  mkdirSync(installed, { recursive: true });
  const untar = await run(
    "tar",
    ["-xzf", join(workDir, tarball.filename), "-C", installed, "--strip-components=1"],
    {
      cwd: workDir,
    },
  );
  if (untar.code !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  writeFileSync(
    join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        // The package's declarations are checked too, against nothing but Node's types.
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")],
      },
      include: ["*.ts"],
    }),
  );
  examples.forEach((source, i) => {
    writeFileSync(join(consumer, `example-${String(i + 1).padStart(2, "0")}.ts`), source);
  });
  stack = await startAppStack({
    workers: 1,
    env: { WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOWLIST: "127.0.0.1" },
  });
  caller = await createCaller(stack, "docs-examples", [
    "operations:write",
    "operations:read",
    "accounts:read",
  ]);
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("the published package", () => {
  it("holds the bundle, its declarations, the README and the manifest, nothing else", () => {
    expect(packed.files).toEqual([
      "README.md",
      "dist/index.d.ts",
      "dist/index.js",
      "dist/index.js.map",
      "package.json",
    ]);
  });

  it("imports nothing but Node's built-ins (no private workspace package, no dependency)", () => {
    const installed = join(consumer, "node_modules", "@accounts", "client");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies).toBeUndefined();
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const js = readFileSync(join(installed, "dist", "index.js"), "utf8");
    const dts = readFileSync(join(installed, "dist", "index.d.ts"), "utf8");
    const specifiers = [
      ...js.matchAll(/\bfrom\s*"([^"]+)"/g),
      ...js.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
      ...dts.matchAll(/^\s*(?:import|export)\b[^;]*?\sfrom\s*["']([^"']+)["']/gm),
    ].map((m) => m[1] as string);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !builtins.has(s))).toEqual([]);
  });

  it("loads outside the repository, through its exports", async () => {
    const loaded = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const m = await import("@accounts/client"); console.log(typeof m.AccountsClient)',
      ],
      { cwd: consumer },
    );
    expect(loaded).toMatchObject({ code: 0, stdout: "function\n" });
  });

  it(`type-checks the ${examples.length} examples of docs/client.md against its declarations`, async () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const checked = await run(process.execPath, [tsc, "-p", consumer], { cwd: consumer });
    expect(checked.stdout + checked.stderr).toBe("");
    expect(checked.code).toBe(0);
  }, 180_000); // a full tsc run: slow on a busy 2-core machine
});

describe("the examples of docs/client.md", () => {
  const loader = pathToFileURL(require.resolve("tsx")).href;
  it.each(examples.map((_, i) => [i + 1]))(
    "example %i runs against a real stack",
    async (n) => {
      const file = `example-${String(n).padStart(2, "0")}.ts`;
      const result = await run(process.execPath, ["--import", loader, file], {
        cwd: consumer,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ACCOUNTS_URL: stack.apiUrl,
          ACCOUNTS_API_KEY: caller.apiKey,
          ACCOUNTS_WEBHOOK_SECRET: caller.webhookSecret,
        },
      });
      expect(result.stderr, `${file} failed:\n${examples[n - 1]}`).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).not.toBe("");
    },
    90_000,
  );
});
