import fc from "fast-check";
import { DuplicateKeys, jsonText, nested, RawJson } from "./jsonText.ts";

/** The accounts every generated operation touches: their ledgers show whether a refusal changed anything. */
export const VICTIMS = ["fz-v0", "fz-v1", "fz-v2"] as const;

type Json = Record<string, unknown>;

const account = fc.record({
  userId: fc.constantFrom(...VICTIMS),
  currency: fc.constantFrom("BTC", "USD", "ETH"),
});
const amount = fc.constantFrom("1", "0.5", "12.25");
const end = fc.record({
  userId: fc.constantFrom(...VICTIMS),
  bucket: fc.constantFrom("available", "reserved"),
});

/** Operations as docs/api.md describes them: the starting point of every mutation. */
const validOperation: fc.Arbitrary<Json> = fc.oneof(
  fc.record({ type: fc.constant("credit"), account, amount }),
  fc.record({
    type: fc.constant("debit"),
    account,
    amount,
    bucket: fc.constantFrom("available", "reserved"),
  }),
  fc.record({ type: fc.constantFrom("reserve", "release"), account, amount }),
  fc.record({
    type: fc.constant("transfer"),
    postings: fc.array(fc.record({ from: end, to: end, currency: fc.constantFrom("BTC", "USD"), amount }), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
);

/** Strings that have broken parsers, validators and databases before. */
const nastyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "alice\u0000",
    "\u0430lice", // Cyrillic a
    "alice\u202e",
    "\u200b",
    "\ud83e\udd84",
    "\ud800",
    "../../etc/passwd",
    "..%2F..%2F",
    "@external",
    "@external-3",
    "a".repeat(65),
    "A".repeat(13),
    "btc",
    "BTC ",
    "B\u0000TC",
    "'; DROP TABLE accounts; --",
    "$" + "{jndi:ldap://x/a}", // a Log4Shell lookup, as text
    "<script>alert(1)</script>",
    "__proto__",
  ),
);

/** Amounts: exponents, signs, separators, other digits, and numbers no double holds. */
const nastyAmount = fc.oneof(
  fc.constantFrom(
    ...["1e5", "1E-2", "-1", "+1", " 1", "1 ", "01", "1.", ".5", "0", "0.0", "1,5", "1_000", "0x10"],
    ...["Infinity", "NaN", "\u0661\u0662", "\uff11", "9".repeat(39), "9".repeat(100), `0.${"0".repeat(30)}1`],
    ...["0.000000001", "1.123", `1${"0".repeat(37)}.5`],
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    ...["1e999", "-0", "123456789012345678901234567890123456789012", "0.1e1", "1E400", "-1e-999"].map(
      (text) => new RawJson(text),
    ),
  ),
  fc.bigInt().map((n) => new RawJson(n.toString())),
  fc.stringMatching(/^[0-9]{1,45}(\.[0-9]{0,25})?$/),
);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyAmount,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, [], {}),
);

/** Where a mutation strikes: a field of any operation type, or of its first posting. */
const PATHS: readonly (readonly (string | number)[])[] = [
  ["type"],
  ["account"],
  ["account", "userId"],
  ["account", "currency"],
  ["amount"],
  ["bucket"],
  ["postings"],
  ["postings", 0],
  ["postings", 0, "from"],
  ["postings", 0, "from", "userId"],
  ["postings", 0, "to", "bucket"],
  ["postings", 0, "currency"],
  ["postings", 0, "amount"],
  ["metadata"],
  ["callbackUrl"],
];

function parentOf(root: Json, path: readonly (string | number)[]): Json | undefined {
  let node: unknown = root;
  for (const step of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Json)[step as string];
  }
  return node !== null && typeof node === "object" ? (node as Json) : undefined;
}

type Mutation = (op: Json) => unknown;

const set =
  (path: readonly (string | number)[], value: unknown): Mutation =>
  (op) => {
    const parent = parentOf(op, path);
    if (parent) parent[path[path.length - 1] as string] = value;
    return op;
  };
const remove =
  (path: readonly (string | number)[]): Mutation =>
  (op) => {
    const parent = parentOf(op, path);
    if (parent) delete parent[path[path.length - 1] as string];
    return op;
  };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom(...PATHS), nastyValue).map(([path, value]) => set(path, value)),
  fc.constantFrom(...PATHS).map(remove),
  // Extra fields, with names that have polluted prototypes or confused validators.
  fc
    .tuple(
      fc.constantFrom<readonly (string | number)[]>(
        [],
        ["account"],
        ["postings", 0],
        ["postings", 0, "from"],
      ),
      fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prototype", "toString", "TYPE")),
      nastyValue,
    )
    .map(([path, key, value]) => (op: Json) => {
      const target = path.length === 0 ? op : parentOf(op, [...path, "x"]);
      if (target) Object.defineProperty(target, key, { value, enumerable: true, writable: true });
      return op;
    }),
  // The same key twice: one value checked, the other kept?
  fc
    .tuple(fc.constantFrom("type", "amount", "account"), nastyValue, fc.boolean())
    .map(([key, value, hostileFirst]) => (op: Json) => {
      const entries = Object.entries(op);
      const extra: [string, unknown] = [key, value];
      return new DuplicateKeys(hostileFirst ? [extra, ...entries] : [...entries, extra]);
    }),
  // Deep JSON where the schema takes anything (metadata), and where it takes nothing.
  fc
    .tuple(fc.constantFrom(100, 1_000, 5_000, 20_000), fc.constantFrom("array" as const, "object" as const))
    .map(([depth, kind]) =>
      set(["metadata"], kind === "object" ? nested(depth, kind) : { deep: nested(depth, kind) }),
    ),
  fc.constantFrom(5_000, 20_000).map((depth) => set(["amount"], nested(depth, "array"))),
  // Sizes just past the limits: metadata over 2 KiB, 65 postings, a body over 64 KiB.
  fc.constantFrom<Mutation>(
    set(["metadata"], { note: "x".repeat(2_049) }),
    set(["metadata"], Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]))),
    set(["metadata"], []),
    set(["metadata"], "text"),
    set(["amount"], "1".repeat(70_000)),
    (op) => ({
      type: "transfer",
      postings: Array.from({ length: 65 }, () => ({
        from: { userId: VICTIMS[0], bucket: "available" },
        to: { userId: VICTIMS[1], bucket: "available" },
        currency: "USD",
        amount: "1",
      })),
      metadata: op.metadata,
    }),
  ),
);

/** Bodies that are not (one) JSON object at all. */
const garbage = fc.oneof(
  fc.constantFrom(
    ...["", "null", "[]", '"credit"', "1e999", "{", "}", '{"type":"credit",}', "{'type':'credit'}", "NaN"],
    ...['{"a":1}{"b":2}', '\ufeff{"type":"credit"}', '{"type":"credit" /* c */}', '{"type":"\\ud800"}'],
    ...["\u0000", '{"type":"credit","amount":"1"', "[".repeat(50_000)],
  ),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.jsonValue({ maxDepth: 5 }).map((value) => JSON.stringify(value)),
);

/**
 * Raw request bodies for `POST /v1/operations`: a valid operation with one to three hostile
 * mutations (wrong types, odd numbers, unicode and control characters, missing, extra and repeated
 * keys, deep nesting, sizes past the limits), or no JSON object at all. Some mutations leave a
 * valid operation (a string in metadata): those may be accepted, and are tracked as such.
 */
export const hostileOperationBody: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(validOperation, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([op, mutations]) => {
        let value: unknown = structuredClone(op);
        for (const mutate of mutations)
          value = value instanceof DuplicateKeys ? value : mutate(value as Json);
        return jsonText(value);
      }),
  },
  { weight: 1, arbitrary: garbage },
);

/** Batch bodies: hostile items among valid ones, hostile envelopes. */
export const hostileBatchBody: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.array(validOperation, { maxLength: 3 }),
      hostileOperationBody,
      fc.array(validOperation, { maxLength: 3 }),
    )
    .map(
      ([before, bad, after]) =>
        `{"operations":[${[...before.map(jsonText), bad, ...after.map(jsonText)].join(",")}]}`,
    ),
  fc.constantFrom(
    '{"operations":[]}',
    '{"operations":{}}',
    '{"operations":null}',
    `{"operations":[${Array.from({ length: 1_001 }, () => '{"type":"credit"}').join(",")}]}`,
    '{"ops":[]}',
  ),
  garbage,
);
