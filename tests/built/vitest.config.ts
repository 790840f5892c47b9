import { defineConfig } from "vitest/config";
import base from "../../vitest.config.ts";

// `npm run test:built`: the built apps in a folder holding only the build output and a production
// install, as the Docker image's runtime stage has them. It installs packages (from the npm cache),
// so it is its own command and CI step rather than part of `npm test`.
export default defineConfig({ test: { ...base.test, include: ["tests/built/**/*.test.ts"], exclude: [] } });
