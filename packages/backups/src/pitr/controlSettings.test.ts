import { describe, expect, it } from "vitest";
import { requiredRecoverySettings } from "./controlSettings.ts";

describe("requiredRecoverySettings", () => {
  it("takes the settings recovery requires from pg_controldata's output", () => {
    const output = [
      "pg_control version number:            1300",
      "wal_level setting:                    replica",
      "max_connections setting:              500",
      "max_worker_processes setting:         16",
      "max_wal_senders setting:              10",
      "max_prepared_xacts setting:           0",
      "max_locks_per_xact setting:           64",
      "track_commit_timestamp setting:       off",
    ].join("\n");
    expect(requiredRecoverySettings(output)).toEqual({
      max_connections: "500",
      max_worker_processes: "16",
      max_wal_senders: "10",
      max_prepared_transactions: "0",
      max_locks_per_transaction: "64",
    });
  });
});
