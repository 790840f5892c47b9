import { createDb, createPool } from "@accounts/db";
import { createRedis, partitionQueue, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { type Job, Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromiumAvailable, launchBrowser, screenshotPath } from "./browser.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// The queue dashboard in a real browser: headless Chromium (Debian's) against the real API,
// worker, PostgreSQL and Redis. An operator logs in with HTTP Basic (the API key as password),
// sees every queue, opens a failed job and retries it; without credentials the browser gets 401.

const run = chromiumAvailable();

let stack: AppStack;
let redis: RedisClient;
let queue: Queue;
let failedJob: Job;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!run) return;
  stack = await startAppStack({ workers: 1 });
  redis = createRedis({ url: stack.redisUrl }, "queue", quietLog);
  const ref = partitionQueue({ namespace: stack.namespace, partitions: 16 }, 3);
  queue = new Queue(ref.name, { connection: redis, prefix: ref.prefix });
  // A job no API would store: the worker refuses it as malformed and fails it for an operator.
  failedJob = await queue.add("apply", { v: 1, operations: "not a list of operations" });
  await waitFor(async () => (await failedJob.getState()) === "failed", {
    timeoutMs: scaledTimeout(20_000),
    message: "the malformed job failed",
  });
}, scaledTimeout(60_000));

afterAll(async () => {
  await browser?.close();
  await queue?.close();
  redis?.disconnect();
  await stack?.stop();
});

describe.skipIf(!run)("queue dashboard in Chromium", () => {
  it("refuses a browser without credentials (401, Basic challenge)", async () => {
    const anonymous = await launchBrowser();
    try {
      const page = await anonymous.context.newPage();
      const answered = page.waitForResponse((res) => new URL(res.url()).pathname === "/admin/queues");
      // A headless browser has nobody to type into the prompt: the navigation ends in an auth error.
      const navigation = await page.goto(`${stack.apiUrl}/admin/queues`).catch((error: Error) => error);
      const response = await answered;
      expect(response.status()).toBe(401);
      expect(response.headers()["www-authenticate"]).toContain('Basic realm="accounts"');
      if (navigation instanceof Error) expect(navigation.message).toContain("ERR_INVALID_AUTH_CREDENTIALS");
      else expect(navigation?.status()).toBe(401);
      // An artefact only: Chromium sometimes cannot capture its own auth-error page ("Unable to
      // capture screenshot"), which says nothing about the service. The assertions above decide.
      await page
        .screenshot({ path: screenshotPath("dashboard-unauthenticated") })
        .catch((error: Error) => console.warn(`no screenshot of the refused page: ${error.message}`));
    } finally {
      await anonymous.close();
    }
  });

  it("logs in with HTTP Basic and shows every queue", async () => {
    browser = await launchBrowser({ username: "operator", password: stack.apiKey });
    const page = await browser.context.newPage();
    const response = await page.goto(`${stack.apiUrl}/admin/queues`);
    expect(response?.status()).toBe(200);
    for (const name of ["Partition 00", "Partition 15", "Webhook deliveries", "Maintenance"]) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.screenshot({ path: screenshotPath("dashboard-queues"), fullPage: true });
  });

  it("opens the failed job and retries it", { timeout: scaledTimeout(60_000) }, async () => {
    if (!browser) throw new Error("the login test did not run");
    const page = await browser.context.newPage();
    await page.goto(`${stack.apiUrl}/admin/queues/queue/ops-03?status=failed`);
    await page.getByText("malformed apply job").first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: screenshotPath("dashboard-failed-job"), fullPage: true });

    await page.getByText(`#${failedJob.id}`, { exact: true }).first().click();
    await page.waitForURL(new RegExp(`/admin/queues/queue/ops-03/${failedJob.id}`));
    await page.getByText("malformed apply job").first().waitFor({ timeout: 15_000 });
    // The job's own retry action (an icon with a tooltip), not the queue's "Retry all".
    await page
      .locator('[class*="jobActions"] button:has(svg.lucide-refresh-cw)')
      .filter({ visible: true })
      .first()
      .click({ timeout: 10_000 });
    await page.getByText("want to retry this job").waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath("dashboard-retry-confirm"), fullPage: true });
    const retried = page.waitForResponse(
      (res) => res.request().method() === "PUT" && /\/retry$/.test(new URL(res.url()).pathname),
    );
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    const response = await retried;
    expect(response.status()).toBeLessThan(300);

    // The worker ran the job again (and, the data being as malformed as before, failed it again).
    await waitFor(
      async () => {
        const job = await queue.getJob(failedJob.id as string);
        return job && job.attemptsStarted >= 2 && (await job.getState()) === "failed";
      },
      { timeoutMs: scaledTimeout(20_000), message: "the retried job ran again" },
    );
    await page.reload();
    await page.getByText("malformed apply job").first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: screenshotPath("dashboard-after-retry"), fullPage: true });

    const db = createDb(createPool(stack.databaseUrl, { max: 1 }));
    try {
      await waitFor(
        async () => {
          const rows = await db
            .selectFrom("audit_log")
            .selectAll()
            .where("event", "=", "admin.action")
            .execute();
          return rows.some((row) => JSON.stringify(row.details).includes(`/ops-03/${failedJob.id}/retry`));
        },
        { message: "the retry audited" },
      );
    } finally {
      await db.destroy();
    }
  });
});
