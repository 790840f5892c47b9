// `npm run build`: one bundle per app in dist/<app>/main.js (see build-apps.ts), what the Docker
// image and the Kubernetes manifests run: `node --enable-source-maps dist/<app>/main.js`.
import { relative, resolve } from "node:path";
import { buildApps } from "./build-apps.ts";

const root = resolve(import.meta.dirname, "..", "..");
const started = Date.now();
const built = await buildApps({ root });
for (const { file, bytes } of built) {
  console.log(`  ${relative(root, file).padEnd(24)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
}
console.log(`built ${built.length} apps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
