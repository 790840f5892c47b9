import { accepted, type Comparison, type PhaseResult } from "./report.ts";

/*
 * Capacity from measurements: the cores each component of the system under test used per 10,000
 * operations per second in each phase of the run (CPU per process, measured by main.ts from /proc),
 * and what the capacity plan's rates need at that cost. docs/capacity.md turns these rows into a
 * deployment; every figure there names the row of this section it comes from.
 */

export const COMPONENTS = ["api", "worker", "postgres", "redis"] as const;
export type Component = (typeof COMPONENTS)[number];

/** The capacity plan: operations per second at peak (docs/capacity.md). */
export const PLAN = [
  { label: "peak today", opsPerSecond: 85_000 },
  { label: "in six months", opsPerSecond: 150_000 },
  { label: "in twelve months", opsPerSecond: 250_000 },
] as const;

/**
 * The share of one core a process is planned to use at peak. A planning choice, not a measurement:
 * the rest is headroom for bursts, failover of a peer and GC pauses.
 */
export const PLANNED_UTILISATION = 0.7;

export interface CapacityRow {
  workload: string;
  mode: string;
  acceptedPerSecond: number;
  appliedPerSecond: number;
  /** Operations carried by one HTTP request (1, the batch size, or what the client coalesced). */
  opsPerRequest: number;
  /** Cores used per 10,000 operations per second, per component. */
  coresPer10k: Record<Component, number>;
}

/**
 * The CPU of a component: the bench names its processes `api`, `worker-1`.. `worker-N`, `postgres`
 * (the postmaster and its backends) and `redis`.
 */
export function componentCores(cpu: Readonly<Record<string, number>>, component: Component): number {
  let sum = 0;
  for (const [name, cores] of Object.entries(cpu))
    if (name === component || name.startsWith(`${component}-`)) sum += cores;
  return sum;
}

/**
 * The rate a component's CPU is divided by: the API does its work per accepted operation, the
 * worker and PostgreSQL per applied one; Redis serves both, and is charged on the smaller of the
 * two (the conservative choice when a backlog builds up or drains during the phase).
 */
function rateFor(component: Component, acceptedRate: number, appliedRate: number): number {
  if (component === "api") return acceptedRate;
  if (component === "redis") return Math.min(acceptedRate, appliedRate);
  return appliedRate;
}

export function capacityRow(workload: string, mode: string, p: PhaseResult): CapacityRow {
  const acceptedPerSecond = accepted(p);
  const appliedPerSecond = p.applied.appliedPerSecond;
  const coresPer10k = {} as Record<Component, number>;
  for (const component of COMPONENTS) {
    const rate = rateFor(component, acceptedPerSecond, appliedPerSecond);
    coresPer10k[component] = rate > 0 ? (componentCores(p.cpu, component) * 10_000) / rate : 0;
  }
  const requests = p.load.httpRequests ?? p.load.requests;
  const operations = p.load.httpRequests ? p.load.ok : p.load.operations;
  return {
    workload,
    mode,
    acceptedPerSecond,
    appliedPerSecond,
    opsPerRequest: requests > 0 ? operations / requests : 0,
    coresPer10k,
  };
}

/** The modes a deployment serves at its rate; other phases (a single caller's latency, say) are not a cost at scale. */
export const CAPACITY_MODES: readonly string[] = ["single", "batch", "client"];

/** One row per phase of the system under test (the baseline has no API, worker or Redis). */
export function capacityRows(comparisons: readonly Comparison[]): CapacityRow[] {
  return comparisons
    .filter((c) => CAPACITY_MODES.includes(c.mode) && c.accounts.applied.appliedPerSecond > 0)
    .map((c) => capacityRow(c.workload, c.mode, c.accounts));
}

export const totalPer10k = (row: CapacityRow): number =>
  COMPONENTS.reduce((sum, c) => sum + row.coresPer10k[c], 0);

export interface Deployment {
  opsPerSecond: number;
  label: string;
  /** Cores each component needs at the rate, at the measured cost per operation. */
  cores: Record<Component, number>;
  /** One-core processes at PLANNED_UTILISATION: Node is single-threaded, so is Redis's command loop. */
  apiReplicas: number;
  workerProcesses: number;
  redisMasters: number;
  /** Cores of the PostgreSQL primary at PLANNED_UTILISATION. */
  postgresCores: number;
}

export function deployment(row: CapacityRow, opsPerSecond: number, label: string): Deployment {
  const cores = {} as Record<Component, number>;
  for (const c of COMPONENTS) cores[c] = (row.coresPer10k[c] * opsPerSecond) / 10_000;
  const processes = (n: number) => Math.max(1, Math.ceil(n / PLANNED_UTILISATION));
  return {
    opsPerSecond,
    label,
    cores,
    apiReplicas: processes(cores.api),
    workerProcesses: processes(cores.worker),
    redisMasters: processes(cores.redis),
    postgresCores: processes(cores.postgres),
  };
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The Markdown section of the report: cores per 10k ops/s, and what the plan's rates need. */
export function capacitySection(comparisons: readonly Comparison[]): string {
  const rows = capacityRows(comparisons);
  if (rows.length === 0) return "";
  const perOp = [
    "| workload | mode | ops per request | accepted ops/s | applied ops/s | API | worker | PostgreSQL | Redis | total | PostgreSQL ops/s per core |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.mode} | ${fmt(r.opsPerRequest, 1)} | ${fmt(r.acceptedPerSecond)} | ${fmt(r.appliedPerSecond)} | ` +
        `${COMPONENTS.map((c) => fmt(r.coresPer10k[c], 2)).join(" | ")} | ${fmt(totalPer10k(r), 2)} | ` +
        `${r.coresPer10k.postgres > 0 ? fmt(10_000 / r.coresPer10k.postgres) : "n/a"} |`,
    ),
  ];
  const plan = [
    "| workload | mode | plan | ops/s | API cores | worker cores | PostgreSQL cores | Redis cores | API replicas | worker processes | Redis masters | PostgreSQL primary cores |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    for (const step of PLAN) {
      const d = deployment(r, step.opsPerSecond, step.label);
      plan.push(
        `| ${r.workload} | ${r.mode} | ${step.label} | ${fmt(step.opsPerSecond)} | ` +
          `${COMPONENTS.map((c) => fmt(d.cores[c], 1)).join(" | ")} | ` +
          `${d.apiReplicas} | ${d.workerProcesses} | ${d.redisMasters} | ${d.postgresCores} |`,
      );
    }
  }
  return [
    "## Capacity: cores per 10,000 operations/s",
    "",
    "Measured: the CPU each component used in the phase (cores, as in the CPU table) divided by the " +
      "phase's rate, times 10,000 (API: accepted ops/s; worker and PostgreSQL: applied ops/s; Redis: " +
      "the smaller of the two). The load generator and the baseline are not part of a deployment.",
    "",
    perOp.join("\n"),
    "",
    "## Capacity: the plan at this cost (extrapolated)",
    "",
    `Linear in the rate, at the cost per operation above. Processes (API replicas, worker processes, ` +
      `Redis masters) use one core each, planned at ${PLANNED_UTILISATION * 100} % of it at peak; the ` +
      `PostgreSQL primary's cores at the same ${PLANNED_UTILISATION * 100} %. Not included: a Redis ` +
      "replica per master and a synchronous PostgreSQL standby (see docs/capacity.md).",
    "",
    plan.join("\n"),
  ].join("\n");
}
