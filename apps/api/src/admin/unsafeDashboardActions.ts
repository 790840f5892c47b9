/**
 * Dashboard actions refused whoever asks, each with the guarantee it would break. bull-board offers
 * them to every queue; here they would quietly undo what docs/architecture.md guarantees:
 *
 * - a partition queue's global concurrency must stay 1 (per-account order);
 * - a queued operation's data or priority must not change (it was validated, hashed for
 *   idempotency and ordered when accepted), nor may a job be added by hand (nothing validated it);
 * - emptying or obliterating a queue deletes accepted operations (a 202 promised they would be
 *   applied) and webhook deliveries;
 * - job schedulers belong to the scheduler, which upserts them from its configuration at start.
 *
 * Retrying, removing a failed job, pausing and resuming stay available, and are audited.
 */
const RULES: readonly { method: string; path: RegExp; why: string }[] = [
  {
    method: "PUT",
    path: /^\/api\/queues\/[^/]+\/concurrency$/,
    why: "a partition queue must keep a global concurrency of 1: it is what keeps each account's operations in order",
  },
  {
    method: "PATCH",
    path: /^\/api\/queues\/[^/]+\/[^/]+\/(update-data|priority)$/,
    why: "a queued job must not be edited: its operations were validated and ordered when they were accepted",
  },
  {
    method: "POST",
    path: /^\/api\/queues\/[^/]+\/add$/,
    why: "jobs are added by the API and the scheduler only: a job added by hand was never validated",
  },
  {
    method: "PUT",
    path: /^\/api\/queues\/[^/]+\/(empty|obliterate)$/,
    why: "emptying a queue deletes accepted operations and webhook deliveries that callers were promised",
  },
  {
    method: "PUT",
    path: /^\/api\/queues\/[^/]+\/job-schedulers\/[^/]+\/remove$/,
    why: "maintenance schedules come from the scheduler's configuration (SCHEDULE_*); change them there",
  },
  {
    method: "PATCH",
    path: /^\/api\/queues\/[^/]+\/job-schedulers\/[^/]+$/,
    why: "maintenance schedules come from the scheduler's configuration (SCHEDULE_*); change them there",
  },
];

/**
 * Why the dashboard refuses this request, or undefined when it may go ahead. `path` is relative to
 * the dashboard (`/api/queues/ops-03/concurrency`).
 *
 * @example
 * unsafeDashboardAction("PUT", "/api/queues/ops-03/concurrency") // "a partition queue must keep..."
 * unsafeDashboardAction("PUT", "/api/queues/ops-03/42/retry")    // undefined
 */
export function unsafeDashboardAction(method: string, path: string): string | undefined {
  for (const rule of RULES) {
    if (rule.method === method && rule.path.test(path))
      return `refused by the accounts processor: ${rule.why}`;
  }
  return undefined;
}
