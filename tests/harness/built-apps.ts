import { resolve } from "node:path";
import { buildApps } from "../../infra/build/build-apps.ts";

/** The repository root: the built apps are in its dist/ folder. */
export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * Builds every app into `dist/` (`npm run build`; under a second), so that tests, the fault suite,
 * the soak and the benchmark run the apps as production does, and a restart takes what production's
 * takes. The vitest global setup calls it once per run; runners outside vitest call it first.
 */
export async function buildAppsForTests(): Promise<void> {
  await buildApps({ root: REPO_ROOT });
}
