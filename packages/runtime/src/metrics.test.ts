import { describe, expect, it } from "vitest";
import { Counter, createMetricsRegistry, Histogram, observeDatabasePool, seriesNamesOf } from "./metrics.ts";

describe("createMetricsRegistry", () => {
  it("labels every series with the service and collects the default process metrics", async () => {
    const registry = createMetricsRegistry("worker");
    new Counter({ name: "accounts_test_total", help: "test", registers: [registry] }).inc();
    const text = await registry.metrics();
    expect(text).toContain('accounts_test_total{service="worker"} 1');
    expect(text).toMatch(/process_cpu_seconds_total\{service="worker"\} \d/);
    expect(text).toMatch(/accounts_process_memory_limit_bytes\{service="worker"\} [1-9]\d*/);
  });
});

describe("observeDatabasePool", () => {
  it("reads active, max and waiting from the pool at scrape time", async () => {
    const registry = createMetricsRegistry("api", { defaultMetrics: false });
    const pool = { totalCount: 7, idleCount: 2, waitingCount: 0, options: { max: 20 } };
    observeDatabasePool(registry, pool);
    pool.waitingCount = 3;
    const text = await registry.metrics();
    expect(text).toContain('accounts_database_connections_active{service="api"} 5');
    expect(text).toContain('accounts_database_connections_max{service="api"} 20');
    expect(text).toContain('accounts_database_connections_waiting{service="api"} 3');
  });
});

describe("seriesNamesOf", () => {
  it("lists histograms with their bucket, sum and count series", () => {
    const registry = createMetricsRegistry("api", { defaultMetrics: false });
    new Histogram({ name: "accounts_h_seconds", help: "h", registers: [registry] });
    new Counter({ name: "accounts_c_total", help: "c", registers: [registry] });
    expect(seriesNamesOf(registry)).toEqual([
      "accounts_c_total",
      "accounts_h_seconds_bucket",
      "accounts_h_seconds_count",
      "accounts_h_seconds_sum",
    ]);
  });
});
