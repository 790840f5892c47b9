import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findPostgresBinaries, findRedisBinaries, MissingBinaryError } from "./binaries.ts";

const root = mkdtempSync(join(tmpdir(), "devstack-binaries-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeProgram(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
  return path;
}

const PROGRAMS = ["initdb", "postgres", "pg_ctl", "pg_dump", "pg_restore", "psql"];

describe("findPostgresBinaries", () => {
  it("names the Debian package when nothing is installed", () => {
    const find = () =>
      findPostgresBinaries({ pathEnv: join(root, "empty"), postgresLibRoot: join(root, "none") });
    expect(find).toThrow(MissingBinaryError);
    expect(find).toThrow(/apt-get install postgresql$/);
  });

  it("takes the highest major version and keeps every program in its folder", () => {
    const lib = join(root, "lib");
    for (const version of ["9.6", "15", "16"]) {
      for (const program of PROGRAMS) fakeProgram(join(lib, version, "bin"), program);
    }
    const found = findPostgresBinaries({ pathEnv: join(root, "empty"), postgresLibRoot: lib });
    expect(found.initdb).toBe(join(lib, "16", "bin", "initdb"));
    expect(found.pgDump).toBe(join(lib, "16", "bin", "pg_dump"));
  });

  it("prefers PATH, following a symlink to the real folder for the other programs", () => {
    const lib = join(root, "lib-linked");
    for (const program of PROGRAMS) fakeProgram(join(lib, "14", "bin"), program);
    const bin = join(root, "bin");
    mkdirSync(bin);
    symlinkSync(join(lib, "14", "bin", "initdb"), join(bin, "initdb"));
    const found = findPostgresBinaries({ pathEnv: bin, postgresLibRoot: join(root, "lib") });
    expect(found.initdb).toBe(join(lib, "14", "bin", "initdb"));
    expect(found.psql).toBe(join(lib, "14", "bin", "psql"));
  });
});

describe("findRedisBinaries", () => {
  it("names the Debian package when redis-server is missing", () => {
    expect(() => findRedisBinaries({ pathEnv: join(root, "empty") })).toThrow(
      /apt-get install redis-server$/,
    );
  });
});
