import { describe, expect, it } from "vitest";
import { unsafeDashboardAction } from "./unsafeDashboardActions.ts";

describe("unsafeDashboardAction", () => {
  it.each([
    ["PUT", "/api/queues/ops-03/concurrency"],
    ["PATCH", "/api/queues/ops-03/17/update-data"],
    ["PATCH", "/api/queues/ops-03/17/priority"],
    ["POST", "/api/queues/ops-03/add"],
    ["PUT", "/api/queues/ops-03/empty"],
    ["PUT", "/api/queues/webhooks/obliterate"],
    ["PUT", "/api/queues/maintenance/job-schedulers/backup/remove"],
    ["PATCH", "/api/queues/maintenance/job-schedulers/backup"],
  ])("refuses %s %s, saying why", (method, path) => {
    expect(unsafeDashboardAction(method, path)).toMatch(/^refused by the accounts processor: /);
  });

  it.each([
    ["PUT", "/api/queues/ops-03/17/retry"],
    ["PUT", "/api/queues/ops-03/retry/failed"],
    ["PUT", "/api/queues/ops-03/17/clean"],
    ["PUT", "/api/queues/ops-03/pause"],
    ["PUT", "/api/queues/ops-03/resume"],
    ["PUT", "/api/queues/maintenance/job-schedulers/backup/run"],
    ["GET", "/api/queues/ops-03/concurrency"],
    ["GET", "/api/queues"],
  ])("lets %s %s through", (method, path) => {
    expect(unsafeDashboardAction(method, path)).toBeUndefined();
  });
});
