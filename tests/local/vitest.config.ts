import { defineConfig } from "vitest/config";
import base from "../../vitest.config.ts";

// `npm run test:start`: the real `npm start`, signalled at every stage of its start-up (2 x 29 starts,
// minutes): its own command and CI step rather than part of `npm test`. It runs its servers through
// `npm start` itself, so it needs neither the harness's servers nor the build.
export default defineConfig({
  test: { ...base.test, include: ["tests/local/**/*.test.ts"], exclude: [], globalSetup: [], maxWorkers: 2 },
});
