import { type ClonedDatabase, cloneTemplate } from "@accounts/devstack";
import { afterAll, beforeAll, inject } from "vitest";
import "./provided-context.ts";

/** The database of one test file. Its accessors work inside tests and hooks, not at import time. */
export interface TestDatabase {
  /** Connection URL (superuser) of this file's database. */
  url(): string;
  name(): string;
}

/**
 * Gives the calling test file its own database, cloned from the migrated template before its
 * tests and dropped after them. Call it once at the top of the file.
 *
 * @example
 * const database = useTestDatabase();
 * beforeAll(() => { pool = createPool(database.url()); });
 */
export function useTestDatabase(): TestDatabase {
  let clone: ClonedDatabase | undefined;
  beforeAll(async () => {
    clone = await cloneTemplate(inject("adminDatabaseUrl"), inject("templateDatabase"));
  });
  afterAll(async () => {
    await clone?.drop();
    clone = undefined;
  });
  const current = (): ClonedDatabase => {
    if (!clone) throw new Error("useTestDatabase(): the database exists only while the file's tests run");
    return clone;
  };
  return { url: () => current().url, name: () => current().name };
}
