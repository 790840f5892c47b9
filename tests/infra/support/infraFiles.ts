import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const INFRA = join(ROOT, "infra");

/** A parsed YAML document or JSON file of infra/, with where it came from. */
export interface InfraDocument {
  /** Path relative to the repository root. */
  file: string;
  index: number;
  value: unknown;
}

/** A Kubernetes object as parsed; the typed views below narrow it by kind. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}

export interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

/** A Deployment or StatefulSet: what the checks read of it. */
export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Container[];
        initContainers?: Container[];
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}

export interface Service extends K8sObject {
  spec: {
    clusterIP?: string;
    selector?: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}

/** A PodDisruptionBudget or HorizontalPodAutoscaler: what the checks read of them. */
export interface Policy extends K8sObject {
  spec: {
    selector?: { matchLabels: Record<string, string> };
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Every YAML and JSON file under infra/ (the local stack's TypeScript aside). */
export function infraDataFiles(): string[] {
  return walk(INFRA)
    .filter((path) => /\.(ya?ml|json)$/.test(path))
    .map((path) => relative(ROOT, path))
    .sort();
}

/** Parses every document of a YAML or JSON file; throws naming the file and the problem. */
export function parseInfraFile(file: string): InfraDocument[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  if (file.endsWith(".json")) return [{ file, index: 0, value: JSON.parse(text) as unknown }];
  return parseAllDocuments(text).map((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${index}: ${doc.errors[0]?.message}`);
    return { file, index, value: doc.toJS() as unknown };
  });
}

/** The Kubernetes objects of infra/k8s (every document that has a kind), kustomization aside. */
export function k8sObjects(): (K8sObject & { file: string })[] {
  return infraDataFiles()
    .filter((file) => file.startsWith("infra/k8s/") && !file.endsWith("kustomization.yaml"))
    .flatMap(parseInfraFile)
    .filter((doc) => typeof (doc.value as { kind?: unknown } | null)?.kind === "string")
    .map((doc) => ({ ...(doc.value as K8sObject), file: doc.file }));
}

/** Reads a file of the repository. */
export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}
