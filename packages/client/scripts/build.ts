/**
 * Builds the publishable package into `dist/` (or `--out DIR`):
 *
 * - `index.js`: one ES module bundled by esbuild. The API's own rules it uses (`@accounts/domain`'s
 *   operation schemas and money conversions, `@accounts/webhooks`' signature) are bundled in, so the
 *   package imports nothing but Node's built-ins: no runtime dependency, and no private workspace
 *   package.
 * - `index.d.ts`: the declarations bundled by dts-bundle-generator. The public types are the
 *   generated wire types (src/generated/api.ts), so no declaration refers to another package.
 *
 * Both are checked here: an import of anything else fails the build.
 *
 * Usage: npm run build --workspace @accounts/client [-- --out DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateDtsBundle } from "dts-bundle-generator";
import { build } from "esbuild";

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = join(PACKAGE, "src", "index.ts");

export interface BuildResult {
  outDir: string;
  jsBytes: number;
  dtsBytes: number;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Builds the package into `outDir` and checks that the output imports only Node's built-ins. */
export async function buildClient(outDir = join(PACKAGE, "dist")): Promise<BuildResult> {
  mkdirSync(outDir, { recursive: true });
  const { version } = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")) as { version: string };
  const result = await build({
    entryPoints: [ENTRY],
    outfile: join(outDir, "index.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // The sources of workspace packages, not their (absent) builds.
    conditions: ["@accounts/source"],
    // Minified with a source map; function and class names are kept for readable stack traces.
    minify: true,
    keepNames: true,
    sourcemap: true,
    legalComments: "eof",
    banner: { js: `// @accounts/client ${version}: bundled; imports only Node.js built-ins.` },
    metafile: true,
    logLevel: "warning",
  });
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
  const foreign = imports.filter((i) => i.external && !NODE_BUILTINS.has(i.path)).map((i) => i.path);
  if (foreign.length > 0)
    throw new Error(`the bundle imports more than Node's built-ins: ${foreign.join(", ")}`);

  const [declarations] = generateDtsBundle(
    [{ filePath: ENTRY, output: { noBanner: true, exportReferencedTypes: false } }],
    { preferredConfigPath: join(PACKAGE, "tsconfig.build.json") },
  );
  if (declarations === undefined) throw new Error("no declarations were generated");
  const dtsImports = [
    ...declarations.matchAll(/^\s*(?:import|export)\b[^;]*?\sfrom\s*["']([^"']+)["']/gm),
    ...declarations.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] as string);
  const dtsForeign = dtsImports.filter((path) => !NODE_BUILTINS.has(path));
  if (dtsForeign.length > 0)
    throw new Error(`the declarations import other packages: ${dtsForeign.join(", ")}`);
  const dts = `// @accounts/client ${version}: declarations.\n${declarations}`;
  writeFileSync(join(outDir, "index.d.ts"), dts);
  const js = readFileSync(join(outDir, "index.js"));
  return { outDir, jsBytes: js.length, dtsBytes: Buffer.byteLength(dts) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const built = await buildClient(values.out ? resolve(values.out) : undefined);
  console.log(
    `built ${built.outDir}: index.js ${(built.jsBytes / 1024).toFixed(0)} KiB, index.d.ts ${(built.dtsBytes / 1024).toFixed(0)} KiB`,
  );
}
