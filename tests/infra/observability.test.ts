import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseInfraFile, ROOT, readRepoFile } from "./support/infraFiles.ts";
import { EXTERNAL_METRICS, metricCatalog } from "./support/metricCatalog.ts";
import { type Selector, selectorsOf } from "./support/promql.ts";

// The alert rules and the Grafana dashboard query only metrics the code defines (or a named
// exporter provides), with labels those metrics have; every alert has a runbook that explains it
// and a promtool unit test.

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const catalog = metricCatalog();
const alertFile = parseInfraFile("infra/prometheus/alerts.yml")[0]?.value as { groups: { rules: Rule[] }[] };
const rules = alertFile.groups.flatMap((group) => group.rules);

interface Panel {
  id: number;
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = parseInfraFile("infra/grafana/accounts.json")[0]?.value as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};

/** What is wrong with a selector: an unknown metric, or a label the metric does not have. */
function problemsOf(selector: Selector): string[] {
  if (selector.metric in EXTERNAL_METRICS) return [];
  const labels = catalog.get(selector.metric);
  if (!labels) return [`${selector.metric} is defined nowhere in the code`];
  return selector.labels
    .filter((label) => !labels.has(label))
    .map((label) => `${selector.metric} has no label "${label}"`);
}

describe("infra/prometheus/alerts.yml", () => {
  it("has the alerts the issue asks for, and the maintenance alerts the scheduler's runbook names", () => {
    const names = new Set(rules.map((rule) => rule.alert));
    for (const name of [
      "HighErrorRate",
      "OperationLatencyHigh",
      "DatabasePoolNearlyExhausted",
      "RedisMemoryHigh",
      "RedisEvictionPolicyNotNoeviction",
      "ReplicationLagHigh",
      "QueueBacklogGrowing",
      "OldestJobTooOld",
      "WebhookDeliveriesFailing",
      "LoginFailures",
      "MaintenanceTaskFailing",
      "BackupStale",
      "ReconcileMismatch",
      "PartitionsNotCreatedAhead",
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it.each(rules.map((rule, index) => [`${rule.alert} #${index}`, rule] as const))(
    "%s queries existing metrics and labels",
    (_, rule) => {
      const selectors = selectorsOf(rule.expr);
      expect(selectors.length, rule.expr).toBeGreaterThan(0);
      expect(selectors.flatMap(problemsOf)).toEqual([]);
    },
  );

  it("gives every alert a severity and a runbook that explains it", () => {
    for (const rule of rules) {
      expect(["critical", "warning"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${rule.alert}: summary`).toBeTruthy();
      const [file, anchor] = (rule.annotations?.runbook_url ?? "").split("#");
      expect(file, `${rule.alert}: runbook_url`).toMatch(/^docs\/runbooks\/[a-z-]+\.md$/);
      if (!file || !existsSync(join(ROOT, file))) throw new Error(`${rule.alert}: ${file} does not exist`);
      const text = readRepoFile(file);
      expect(text, `${file} explains ${rule.alert}`).toContain(rule.alert);
      if (anchor) {
        const anchors = [...text.matchAll(/^#+ (.+)$/gm)].map((heading) =>
          (heading[1] as string)
            .toLowerCase()
            .replace(/[^a-z0-9 -]/g, "")
            .replace(/ /g, "-"),
        );
        expect(anchors, `${file}#${anchor}`).toContain(anchor);
      }
    }
  });

  it("unit-tests every alert in alerts.test.yml", () => {
    const tests = parseInfraFile("infra/prometheus/alerts.test.yml")[0]?.value as {
      rule_files: string[];
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    expect(tests.rule_files).toEqual(["alerts.yml"]);
    const fired = new Set(
      tests.tests.flatMap((test) =>
        (test.alert_rule_test ?? []).filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname),
      ),
    );
    expect(rules.map((rule) => rule.alert).filter((name) => !fired.has(name))).toEqual([]);
  });

  it("lists every runbook in docs/runbooks/README.md", () => {
    const index = readRepoFile("docs/runbooks/README.md");
    for (const file of new Set(rules.map((rule) => rule.annotations?.runbook_url?.split("#")[0]))) {
      expect(index, `README links ${file}`).toContain(`(${file?.replace("docs/runbooks/", "")})`);
    }
    for (const required of ["disaster-recovery.md", "backup-and-restore.md", "maintenance.md"]) {
      expect(index).toContain(`(${required})`);
    }
  });
});

describe("infra/grafana/accounts.json", () => {
  const panels = dashboard.panels.filter((panel) => panel.type !== "row");

  it("has unique panel ids, a Prometheus datasource variable and the sections operators need", () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource" }),
    );
    const rows = dashboard.panels.filter((panel) => panel.type === "row").map((panel) => panel.title);
    for (const section of [
      "Traffic",
      "Operations",
      "Queues",
      "Database",
      "Redis",
      "Webhooks",
      "Maintenance",
    ]) {
      expect(
        rows.some((row) => row.startsWith(section)),
        section,
      ).toBe(true);
    }
  });

  it.each(panels.map((panel) => [panel.title, panel] as const))(
    "panel %s queries existing metrics",
    (_, panel) => {
      const expressions = (panel.targets ?? []).map((target) => target.expr);
      expect(expressions.length).toBeGreaterThan(0);
      for (const expression of expressions) {
        const selectors = selectorsOf(expression);
        expect(selectors.length, expression).toBeGreaterThan(0);
        expect(selectors.flatMap(problemsOf), expression).toEqual([]);
      }
    },
  );
});

describe("the metric catalog the checks compare against", () => {
  it("is the code's: it knows the API's, the worker's and the scheduler's metrics", () => {
    for (const name of [
      "accounts_http_requests_total",
      "accounts_queue_jobs",
      "accounts_operation_duration_seconds_bucket",
      "accounts_webhook_deliveries_total",
      "accounts_maintenance_runs_total",
      "accounts_reconcile_ok",
      "process_cpu_seconds_total",
    ]) {
      expect(catalog.has(name), name).toBe(true);
    }
    expect(problemsOf({ metric: "accounts_no_such_metric", labels: [] })).toHaveLength(1);
    expect(problemsOf({ metric: "accounts_queue_jobs", labels: ["userId"] })).toHaveLength(1);
  });
});
