import { describe, expect, it } from "vitest";
import { attribute } from "./batchDelivery.ts";
import { InvalidRequestError } from "./errors.ts";

const refused = (paths: string[]) =>
  new InvalidRequestError({
    type: "t",
    title: "Invalid request",
    status: 400,
    code: "invalid_request",
    detail: "the request body is invalid",
    errors: paths.map((path) => ({ path, message: `bad ${path}` })),
    requestId: "r1",
  });

describe("attributing a refused batch to its items", () => {
  it("groups the field errors by item, re-rooted at the item", () => {
    const byItem = attribute(
      refused(["operations.3.amount", "operations.0", "operations.3.postings.1.currency"]),
      5,
    );
    expect(byItem && Object.fromEntries(byItem)).toEqual({
      0: [{ path: "(root)", message: "bad operations.0" }],
      3: [
        { path: "amount", message: "bad operations.3.amount" },
        { path: "postings.1.currency", message: "bad operations.3.postings.1.currency" },
      ],
    });
  });

  it("gives up when an error names no item, or an item the batch does not have", () => {
    expect(attribute(refused(["operations.1.amount", "(root)"]), 5)).toBeNull();
    expect(attribute(refused(["operations"]), 5)).toBeNull();
    expect(attribute(refused(["operations.7.amount"]), 5)).toBeNull();
    expect(attribute(refused([]), 5)).toBeNull();
  });
});
