import { describe, expect, it } from "vitest";
import { hex16ToLsn, lsnToHex16, parseLsn } from "./lsn.ts";
import { isCancelledReplicationWait } from "./unreplicatedCommit.ts";

describe("WAL positions", () => {
  it("parse exactly beyond 2^53 and keep their order as 16 hex digits", () => {
    expect(parseLsn("16/B374D848")).toBe(0x16b374d848n);
    expect(parseLsn("FFFFFFFF/FFFFFFFF")).toBe(2n ** 64n - 1n);
    const positions = ["0/FF", "0/100", "1/0", "16/B374D848"].map(parseLsn);
    const hex = positions.map(lsnToHex16);
    expect([...hex].sort()).toEqual(hex);
    expect(hex.map(hex16ToLsn)).toEqual(positions);
    expect(() => parseLsn("16-B374")).toThrow(/not a WAL position/);
  });
});

describe("isCancelledReplicationWait", () => {
  it("recognises PostgreSQL's notice, and nothing else", () => {
    expect(
      isCancelledReplicationWait({
        message: "canceling wait for synchronous replication due to user request",
        detail:
          "The transaction has already committed locally, but might not have been replicated to the standby.",
      }),
    ).toBe(true);
    expect(isCancelledReplicationWait({ message: "there is no transaction in progress" })).toBe(false);
  });
});
