import { defineConfig } from "vitest/config";
import { machineSlowness, scaledTimeout } from "./tests/harness/timeouts.ts";

// One slowness factor for the whole run (the test processes inherit it), see timeouts.ts.
process.env.TEST_TIMEOUT_SCALE = String(machineSlowness());

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    // The fault suite and the soak are runners, not test files (npm run test:faults, npm run soak):
    // only their pure parts have *.test.ts here, as has the benchmark's report (tests/bench). Two
    // slow suites have their own commands and CI steps: the built apps in a production install
    // (npm run test:built) and npm start under signals (npm run test:start).
    exclude: ["tests/built/**", "tests/local/**", "**/node_modules/**", "**/.data/**"],
    globalSetup: ["tests/harness/global-setup.ts"],
    testTimeout: scaledTimeout(30_000),
    hookTimeout: scaledTimeout(60_000),
    teardownTimeout: scaledTimeout(30_000),
    // Forks: test files that open pools and Redis connections are isolated as processes. Two at a
    // time, because the machines this runs on have two cores and PostgreSQL needs one of them.
    pool: "forks",
    maxWorkers: 2,
  },
});
