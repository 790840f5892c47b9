import { describe, expect, it } from "vitest";
import { metadataSchema, operationRequestSchema } from "./schemas.ts";

describe("metadataSchema", () => {
  it("takes an object of up to 2 KiB as JSON and refuses a larger one", () => {
    expect(metadataSchema.safeParse({ note: "x".repeat(2_037) }).success).toBe(true);
    expect(metadataSchema.safeParse({ note: "x".repeat(2_038) }).success).toBe(false);
  });

  it("refuses nesting too deep to serialise as an invalid value, not a crash", () => {
    // 20,000 levels fit in a 64 KiB body; JSON.stringify overflows the stack on them.
    const deep = JSON.parse(`${'{"a":'.repeat(20_000)}0${"}".repeat(20_000)}`) as Record<string, unknown>;
    const parsed = operationRequestSchema.safeParse({
      type: "credit",
      account: { userId: "alice", currency: "BTC" },
      amount: "1",
      metadata: deep,
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(["metadata"]);
  });
});
