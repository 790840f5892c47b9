import { rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { APP_NAMES, type AppName, builtEntry, sourceEntry } from "@accounts/devstack";
import { build, type Plugin } from "esbuild";

export interface BuiltApp {
  app: AppName;
  /** Absolute path of the bundle. */
  file: string;
  bytes: number;
}

/**
 * Bundles each app (`apps/<app>/src/main.ts`) into `<outDir>/dist/<app>/main.js` with its source
 * map: the workspace packages (`@accounts/*`, TypeScript) are compiled into the bundle, every other
 * package stays an import resolved from node_modules at run time, so that production installs
 * exactly the dependencies the package.json files declare. ESM for Node.js 20. Nothing else is
 * needed to run it: `node --enable-source-maps dist/api/main.js`.
 *
 * @example
 * await buildApps({ root: "/work/repo" }); // dist/api/main.js, dist/worker/main.js, ...
 */
export async function buildApps(options: {
  /** The repository root (sources and node_modules). */
  root: string;
  /** Folder that receives `dist/`. Default: the root. */
  outDir?: string;
  apps?: readonly AppName[];
}): Promise<BuiltApp[]> {
  const outDir = options.outDir ?? options.root;
  const apps = options.apps ?? APP_NAMES;
  const files = new Map(apps.map((app) => [app, join(outDir, builtEntry(app))]));
  for (const file of files.values()) rmSync(dirname(file), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: options.root,
    // One independent bundle per entry: `dist/<app>/main` (no code shared between them).
    entryPoints: apps.map((app) => ({
      in: join(options.root, sourceEntry(app)),
      out: relative(outDir, files.get(app) as string).replace(/\.js$/, ""),
    })),
    outdir: outDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    // The map carries the TypeScript sources, so a stack trace shows them; the image holds none.
    sourcesContent: true,
    plugins: [externalNodeModules],
    metafile: true,
    logLevel: "warning",
  });
  return apps.map((app) => {
    const file = files.get(app) as string;
    const output = result.metafile.outputs[relative(options.root, file)];
    return { app, file, bytes: output?.bytes ?? 0 };
  });
}

/** Every bare import stays external, except the workspace's own packages, which are bundled. */
const externalNodeModules: Plugin = {
  name: "external-node-modules",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@accounts/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};
