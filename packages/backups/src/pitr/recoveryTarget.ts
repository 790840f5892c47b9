/** Where a point-in-time restore stops. */
export type RecoveryTarget =
  /** Everything the WAL archive holds. */
  | { kind: "latest" }
  | {
      kind: "time";
      /** The instant, to the millisecond (for comparisons with backup times). */
      at: Date;
      /** The instant in UTC with the precision it was given, RFC 3339: `2026-12-02T10:14:59.123456Z`. */
      utc: string;
      /** The same for PostgreSQL's `recovery_target_time`: `2026-12-02 10:14:59.123456+00`. */
      postgres: string;
    };

/** A `--to` value that is not a time this command can restore to; the message says what to give. */
export class RecoveryTargetError extends Error {
  override readonly name = "RecoveryTargetError";
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * Parses the target of `restore --to`: `latest`, or an RFC 3339 time with its offset. A time without
 * an offset is refused rather than read in some local time zone: a restore one hour off is a wrong
 * restore. Fractions beyond microseconds (PostgreSQL's precision) are refused too.
 *
 * @example
 * parseRecoveryTarget("2026-12-02T11:14:59.5+01:00")
 * // { kind: "time", at: 2026-12-02T10:14:59.500Z, utc: "2026-12-02T10:14:59.5Z", postgres: "2026-12-02 10:14:59.5+00" }
 * parseRecoveryTarget("latest") // { kind: "latest" }
 * @throws RecoveryTargetError 'give the time with its offset, e.g. 2026-12-02T10:14:59Z (UTC) or 2026-12-02T11:14:59+01:00'
 */
export function parseRecoveryTarget(input: string): RecoveryTarget {
  const text = input.trim();
  if (text.toLowerCase() === "latest") return { kind: "latest" };
  const match = RFC3339.exec(text);
  if (!match) {
    throw new RecoveryTargetError(
      `"${input}" is not a time: give an RFC 3339 time such as 2026-12-02T10:14:59Z, or "latest"`,
    );
  }
  const [, year, month, day, hour, minute, second, fraction = "", offset] = match;
  if (offset === undefined) {
    throw new RecoveryTargetError(
      `"${input}" has no time zone: give the time with its offset, e.g. ${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}Z (UTC) ` +
        `or ${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}+01:00`,
    );
  }
  if (fraction.length > 7) {
    throw new RecoveryTargetError(
      `"${input}": PostgreSQL keeps microseconds; give at most 6 decimals of a second`,
    );
  }
  const wholeSeconds = `${year}-${month}-${day}T${hour}:${minute}:${second}${offset.toUpperCase()}`;
  const parsed = new Date(wholeSeconds);
  // Date accepts 2026-02-30 and rolls it over: the round trip through UTC must keep the fields.
  const local = new Date(parsed.getTime() + offsetMinutes(offset) * 60_000).toISOString();
  if (
    Number.isNaN(parsed.getTime()) ||
    local.slice(0, 19) !== `${year}-${month}-${day}T${hour}:${minute}:${second}`
  ) {
    throw new RecoveryTargetError(`"${input}" is not a valid date and time`);
  }
  const utcSeconds = parsed.toISOString().slice(0, 19);
  const milliseconds = Number((fraction || ".0").slice(1).padEnd(3, "0").slice(0, 3));
  return {
    kind: "time",
    at: new Date(parsed.getTime() + milliseconds),
    utc: `${utcSeconds}${fraction}Z`,
    postgres: `${utcSeconds.replace("T", " ")}${fraction}+00`,
  };
}

function offsetMinutes(offset: string): number {
  if (offset.toUpperCase() === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  const [hours, minutes] = offset.slice(1).split(":").map(Number) as [number, number];
  return sign * (hours * 60 + minutes);
}

/** The target as the command shows it: `latest`, or the UTC time. */
export function describeTarget(target: RecoveryTarget): string {
  return target.kind === "latest" ? "latest (everything archived)" : target.utc;
}
