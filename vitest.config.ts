import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    // The fault suite and the soak are runners, not test files (npm run test:faults, npm run soak):
    // only their pure parts have *.test.ts here. The benchmark measures, on its own command.
    exclude: ["tests/bench/**", "**/node_modules/**", "**/.data/**"],
    globalSetup: ["tests/harness/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Forks: test files that open pools and Redis connections are isolated as processes. Two at a
    // time, because the machines this runs on have two cores and PostgreSQL needs one of them.
    pool: "forks",
    maxWorkers: 2,
  },
});
