/**
 * JSON text as an attacker writes it, not as JSON.stringify would: numbers no JavaScript number
 * holds (`1e999`, 40-digit integers, `-0`), keys repeated in one object, nesting deeper than any
 * recursive serializer survives.
 */

/** A piece of JSON text placed into the output as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object whose entries may repeat a key (JSON.parse keeps the last one). */
export class DuplicateKeys {
  constructor(readonly entries: readonly (readonly [string, unknown])[]) {}
}

/** Writes `value` as JSON text, honouring {@link RawJson} and {@link DuplicateKeys}. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DuplicateKeys) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * `depth` nested arrays or objects around `inner`, as raw text (built iteratively: the point is
 * to find recursion in the server, not in the test).
 *
 * @example
 * nested(3, "array").text // "[[[0]]]"
 */
export function nested(depth: number, kind: "array" | "object", inner = "0"): RawJson {
  const open = kind === "array" ? "[" : '{"a":';
  const close = kind === "array" ? "]" : "}";
  return new RawJson(`${open.repeat(depth)}${inner}${close.repeat(depth)}`);
}
