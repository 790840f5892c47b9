import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiEnvSchema, loadApiConfig } from "../../apps/api/src/config.ts";
import { loadSchedulerConfig, schedulerEnvSchema } from "../../apps/scheduler/src/config.ts";
import { loadWorkerConfig, workerEnvSchema } from "../../apps/worker/src/config.ts";
import {
  type Container,
  INFRA,
  infraDataFiles,
  k8sObjects,
  type Policy,
  parseInfraFile,
  readRepoFile,
  type Service,
  type Workload,
} from "./support/infraFiles.ts";

// Every YAML and JSON file under infra/ parses, and the manifests agree with the code and with each
// other: ports and probe paths are the apps' own, Services select pods that have the ports they
// target, autoscalers and budgets point at real workloads, Prometheus scrapes what exists.

interface AppSpec {
  /** The configuration the app would run with, given the manifest's environment. */
  load: (env: NodeJS.ProcessEnv) => Record<string, unknown>;
  variables: readonly string[];
  portVariable: string;
  portName: string;
}

const APPS: Record<string, AppSpec> = {
  "accounts-api": {
    load: (env) => loadApiConfig(env),
    variables: Object.keys(apiEnvSchema.shape),
    portVariable: "PORT",
    portName: "http",
  },
  "accounts-worker": {
    load: (env) => loadWorkerConfig(env),
    variables: Object.keys(workerEnvSchema.shape),
    portVariable: "WORKER_METRICS_PORT",
    portName: "metrics",
  },
  "accounts-scheduler": {
    load: (env) => loadSchedulerConfig(env),
    variables: Object.keys(schedulerEnvSchema.shape),
    portVariable: "SCHEDULER_METRICS_PORT",
    portName: "metrics",
  },
};

/** Paths the apps serve without authentication, for probes. */
const PROBE_PATHS = new Set(["/ready", "/health"]);

const objects = k8sObjects();
const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet") as Workload[];
const services = objects.filter((o) => o.kind === "Service") as Service[];
const configMaps = objects.filter((o) => o.kind === "ConfigMap");

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
const podsOf = (selector: Record<string, string>) =>
  workloads.filter((w) => matches(selector, w.spec.template.metadata.labels));
const containersOf = (w: Workload): Container[] => [
  ...w.spec.template.spec.containers,
  ...(w.spec.template.spec.initContainers ?? []),
];

/** The environment a container gets from its manifest: literal values, config maps, placeholders for secrets. */
function environmentOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const map = configMaps.find((c) => c.metadata.name === from.configMapRef?.name);
    Object.assign(env, map?.data ?? {});
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.name.endsWith("DATABASE_URL")) env[variable.name] = "postgres://secret@db/accounts";
    else if (variable.name === "DATABASE_REPLICA_URLS")
      env[variable.name] = "postgres://secret@db-ro/accounts";
    else if (variable.name === "REDIS_URL") env[variable.name] = "redis://:secret@redis:6379";
    else env[variable.name] = "from-secret";
  }
  return env;
}

describe("every YAML and JSON file under infra/", () => {
  it.each(infraDataFiles())("%s parses", (file) => {
    const docs = parseInfraFile(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(doc.value, `${file} #${doc.index} is empty`).toBeTruthy();
  });
});

describe("the app Deployments", () => {
  it.each(Object.entries(APPS))(
    "%s: ports, probes and variables match the app's configuration",
    (name, app) => {
      const deployment = workloads.find((w) => w.kind === "Deployment" && w.metadata.name === name);
      if (!deployment) throw new Error(`no Deployment ${name} in infra/k8s`);
      const [container] = deployment.spec.template.spec.containers;
      if (!container) throw new Error(`${name} has no container`);
      const env = environmentOf(container);

      const unknown = Object.keys(env).filter((variable) => !app.variables.includes(variable));
      expect(unknown, `${name}: variables the app does not read`).toEqual([]);

      const config = app.load(env);
      const port = container.ports?.find((p) => p.name === app.portName);
      expect(port?.containerPort, `${name}: port "${app.portName}" is ${app.portVariable}`).toBe(
        config[app.portVariable],
      );

      for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"] as const) {
        const probe = container[kind]?.httpGet;
        if (!probe) throw new Error(`${name}: ${kind} must be an HTTP probe`);
        expect(PROBE_PATHS.has(probe.path), `${name}: ${kind} path ${probe.path}`).toBe(true);
        expect(
          probe.port === app.portName || probe.port === port?.containerPort,
          `${name}: ${kind} port`,
        ).toBe(true);
      }
      // Readiness is what drains: only /ready turns 503 on SIGTERM.
      expect(container.readinessProbe?.httpGet?.path).toBe("/ready");
    },
  );

  it("each has a PodDisruptionBudget, and the API and the worker an autoscaler", () => {
    const policies = objects.filter(
      (o) => o.kind === "PodDisruptionBudget" || o.kind === "HorizontalPodAutoscaler",
    ) as Policy[];
    for (const name of Object.keys(APPS)) {
      const deployment = workloads.find((w) => w.metadata.name === name) as Workload;
      const budgets = policies.filter(
        (p) =>
          p.kind === "PodDisruptionBudget" &&
          matches(p.spec.selector?.matchLabels ?? {}, deployment.spec.template.metadata.labels),
      );
      expect(budgets, `${name}: PodDisruptionBudget`).toHaveLength(1);
    }
    for (const name of ["accounts-api", "accounts-worker"]) {
      const hpa = policies.find(
        (p) => p.kind === "HorizontalPodAutoscaler" && p.spec.scaleTargetRef?.name === name,
      );
      expect(hpa?.spec.scaleTargetRef?.kind, `${name}: HorizontalPodAutoscaler`).toBe("Deployment");
    }
  });

  it("every autoscaler, budget and Service selects something that exists", () => {
    for (const object of objects as Policy[]) {
      if (object.kind === "HorizontalPodAutoscaler") {
        const target = object.spec.scaleTargetRef;
        expect(
          workloads.some((w) => w.kind === target?.kind && w.metadata.name === target?.name),
          object.metadata.name,
        ).toBe(true);
      }
      if (object.kind === "PodDisruptionBudget") {
        expect(podsOf(object.spec.selector?.matchLabels ?? {}).length, object.metadata.name).toBeGreaterThan(
          0,
        );
      }
    }
    for (const service of services) {
      const pods = podsOf(service.spec.selector ?? {});
      expect(pods.length, `Service ${service.metadata.name} selects no pod`).toBeGreaterThan(0);
      for (const port of service.spec.ports) {
        const target = port.targetPort ?? port.port;
        const found = pods.every((pod) =>
          containersOf(pod).some((c) =>
            (c.ports ?? []).some((p) => p.name === target || p.containerPort === target),
          ),
        );
        expect(found, `Service ${service.metadata.name} port ${port.name}: targetPort ${target}`).toBe(true);
      }
    }
  });

  it("StatefulSets name a headless Service, and mounted config maps exist or are generated", () => {
    const kustomization = parseInfraFile("infra/k8s/kustomization.yaml")[0]?.value as {
      resources: string[];
      configMapGenerator: { name: string; files: string[] }[];
    };
    const generated = kustomization.configMapGenerator.map((g) => g.name);
    for (const workload of workloads) {
      if (workload.kind === "StatefulSet") {
        const service = services.find((s) => s.metadata.name === workload.spec.serviceName);
        expect(service?.spec.clusterIP, `${workload.metadata.name}: serviceName`).toBe("None");
      }
      for (const volume of workload.spec.template.spec.volumes ?? []) {
        const name = volume.configMap?.name;
        if (!name) continue;
        const defined = configMaps.some((c) => c.metadata.name === name) || generated.includes(name);
        expect(defined, `${workload.metadata.name}: config map ${name}`).toBe(true);
      }
    }
    for (const resource of kustomization.resources)
      expect(existsSync(join(INFRA, "k8s", resource)), resource).toBe(true);
    for (const generator of kustomization.configMapGenerator) {
      for (const file of generator.files) {
        const path = file.split("=").pop() as string;
        expect(existsSync(join(INFRA, "k8s", path)), `${generator.name}: ${path}`).toBe(true);
      }
    }
  });

  it("the autoscalers' maxima fit in PostgreSQL's max_connections", () => {
    const maxConnections = Number(
      /^max_connections = (\d+)/m.exec(readRepoFile("infra/postgres/postgresql.conf"))?.[1],
    );
    const poolSize = Number(
      configMaps.find((c) => c.metadata.name === "accounts-config")?.data?.DB_POOL_MAX ?? 20,
    );
    let pools = 0;
    for (const name of Object.keys(APPS)) {
      const hpa = (objects as Policy[]).find(
        (p) => p.kind === "HorizontalPodAutoscaler" && p.spec.scaleTargetRef?.name === name,
      );
      const deployment = workloads.find((w) => w.metadata.name === name) as Workload;
      pools += (hpa?.spec.maxReplicas ?? deployment.spec.replicas ?? 1) * poolSize;
    }
    // Room beyond the pools: replication, exporters, operators, superuser_reserved_connections.
    expect(pools + 40).toBeLessThanOrEqual(maxConnections);
  });
});

describe("infra/prometheus/prometheus.yml", () => {
  const config = parseInfraFile("infra/prometheus/prometheus.yml")[0]?.value as {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      dns_sd_configs?: { names: string[]; port: number }[];
    }[];
  };

  it("loads the alert rules", () => {
    for (const file of config.rule_files)
      expect(existsSync(join(INFRA, "prometheus", file)), file).toBe(true);
  });

  it("scrapes the three apps on their configured ports, through headless Services that exist", () => {
    const jobs = new Map(config.scrape_configs.map((job) => [job.job_name, job]));
    for (const [name, app] of Object.entries(APPS)) {
      const job = jobs.get(name);
      if (!job) throw new Error(`prometheus.yml scrapes no ${name}`);
      expect(job.metrics_path ?? "/metrics").toBe("/metrics");
      const defaults = app.load({ DATABASE_URL: "postgres://x@db/accounts" });
      expect(job.dns_sd_configs?.[0]?.port, `${name}: scrape port is ${app.portVariable}`).toBe(
        defaults[app.portVariable],
      );
    }
    for (const job of config.scrape_configs) {
      for (const sd of job.dns_sd_configs ?? []) {
        for (const dnsName of sd.names) {
          const [serviceName, namespace] = dnsName.split(".");
          const service = services.find((s) => s.metadata.name === serviceName);
          if (!service) throw new Error(`${job.job_name}: no Service ${serviceName}`);
          expect(service.metadata.namespace).toBe(namespace);
          // Headless: one address per pod, so that each replica is scraped on its own.
          expect(service.spec.clusterIP, `${serviceName} is headless`).toBe("None");
          expect(
            service.spec.ports.map((p) => p.port),
            `${serviceName} port`,
          ).toContain(sd.port);
          const pods = podsOf(service.spec.selector ?? {});
          const exposes = pods.every((pod) =>
            containersOf(pod).some((c) => (c.ports ?? []).some((p) => p.containerPort === sd.port)),
          );
          expect(exposes, `${job.job_name}: pods behind ${serviceName} listen on ${sd.port}`).toBe(true);
        }
      }
    }
  });
});
