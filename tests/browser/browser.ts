import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where browser tests leave their screenshots (git-ignored; CI keeps them as artefacts). */
export const SCREENSHOTS_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "results",
  "browser",
);

/**
 * Whether the browser tests can run here. Without Chromium they are skipped on a developer's
 * machine, but fail in CI (`CI` set), where `.ci/run` installs it: a skipped browser test must
 * never pass a CI run unnoticed.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM_PATH} is missing: .ci/run installs the chromium package`);
  return false;
}

/** Switches that keep a headless Chromium quiet, offline except for the page under test, and fast. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium from Debian (never a downloaded browser) with a fresh profile, which
 * is removed on close. With `credentials`, the browser answers HTTP Basic challenges with them, as
 * an operator typing them into the prompt would.
 *
 * @example
 * const browser = await launchBrowser({ username: "ops", password: apiKey });
 * const page = await browser.context.newPage();
 */
export async function launchBrowser(credentials?: { username: string; password: string }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "accounts-chromium-"));
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // launchPersistentContext is how Playwright takes a user data dir (it refuses --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 900 },
    ...(credentials ? { httpCredentials: credentials } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A screenshot path under {@link SCREENSHOTS_DIR}. */
export function screenshotPath(name: string): string {
  return join(SCREENSHOTS_DIR, `${name}.png`);
}
