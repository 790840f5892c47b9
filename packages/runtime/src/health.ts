export type CheckStatus = "healthy" | "degraded" | "unhealthy";

export interface CheckResult {
  status: CheckStatus;
  error?: string;
  details?: Record<string, unknown>;
}

export interface HealthReport {
  timestamp: string;
  status: CheckStatus;
  checks: Record<string, CheckResult>;
}

/** A named check: resolves with a result, or throws (unhealthy, with the error's message). */
export type HealthCheck = () => Promise<CheckResult | undefined>;

const ORDER: Record<CheckStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * Runs every check at once, each bounded by `timeoutMs`, and rolls them up: the report is as bad as
 * its worst check.
 *
 * @example
 * await runHealthChecks({ database: async () => { await pool.query("SELECT 1"); } })
 * // { timestamp: "...", status: "healthy", checks: { database: { status: "healthy" } } }
 */
export async function runHealthChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = 2000,
  now: () => Date = () => new Date(),
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        const result = await Promise.race([check(), timeout]);
        return [name, result ?? { status: "healthy" }];
      } catch (error) {
        return [name, { status: "unhealthy", error: error instanceof Error ? error.message : String(error) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  let status: CheckStatus = "healthy";
  for (const [, result] of entries) if (ORDER[result.status] > ORDER[status]) status = result.status;
  return { timestamp: now().toISOString(), status, checks: Object.fromEntries(entries) };
}
