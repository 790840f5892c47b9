/** The flags a runner takes, each with its default; the default's type is the flag's type. */
export type FlagSpec = Record<string, number | string | boolean>;

/**
 * Parses `--name value`, `--name=value` and bare `--name` (booleans) against `spec`, so that
 * `npm run soak -- --minutes 10` and `npm run test:faults -- --faults=20` both work. An unknown flag
 * or a value of the wrong type ends the program with the list of flags: a typo must not silently
 * run the default.
 *
 * @example
 * const flags = parseFlags(process.argv.slice(2), { faults: 3, kinds: "worker,api" });
 * flags.faults; // 20 after `-- --faults 20`
 */
export function parseFlags<T extends FlagSpec>(argv: readonly string[], spec: T): T {
  const values: FlagSpec = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (!match || name === undefined || !(name in spec)) usage(spec, `unknown argument ${arg}`);
    const fallback = spec[name];
    let text = match[2];
    if (text === undefined && typeof fallback !== "boolean") {
      text = argv[i + 1];
      i += 1;
      if (text === undefined) usage(spec, `--${name} needs a value`);
    }
    if (typeof fallback === "boolean") values[name] = text === undefined ? true : text === "true";
    else if (typeof fallback === "number") {
      const parsed = Number(text);
      if (!Number.isFinite(parsed)) usage(spec, `--${name} must be a number, got ${text}`);
      values[name] = parsed;
    } else values[name] = text ?? "";
  }
  return values as T;
}

function usage(spec: FlagSpec, problem: string): never {
  const lines = Object.entries(spec).map(([name, value]) => `  --${name} (default ${String(value)})`);
  console.error(`${problem}\nflags:\n${lines.join("\n")}`);
  process.exit(2);
}
