import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { APP_NAMES, appCommand, builtEntry } from "@accounts/devstack";
import { describe, expect, it } from "vitest";
import { type Container, k8sObjects, ROOT, readRepoFile } from "./support/infraFiles.ts";

// The Dockerfile and the manifests that run its image, against the repository: every COPY source
// exists and is not kept out by .dockerignore, every workspace manifest reaches `npm ci`, and every
// container of the image runs a bundle that `npm run build` makes, the way the launcher runs it.
// (No Docker engine runs the build here; `npm run test:built` runs its runtime stage's contents.)

interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

/** The Dockerfile's instructions, line continuations joined, comments dropped, each with its stage. */
function dockerfile(): Instruction[] {
  const lines = readRepoFile("Dockerfile")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  let stage = "";
  return lines.map((line) => {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? "";
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

const instructions = dockerfile();
const copies = instructions.filter((i) => i.keyword === "COPY" && !i.args.includes("--from="));
const sources = copies.flatMap((copy) => {
  const words = copy.args.split(/\s+/).filter((word) => !word.startsWith("--"));
  return words.slice(0, -1);
});
const ignored = readRepoFile(".dockerignore")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));

/** True when a .dockerignore pattern keeps `path` out of the build context (the patterns used here). */
function isIgnored(path: string): boolean {
  const segments = path.replace(/\/$/, "").split("/");
  return ignored.some((pattern) => {
    if (pattern.startsWith("**/")) return segments.includes(pattern.slice(3));
    if (pattern.startsWith("*.")) return path.endsWith(pattern.slice(1));
    return path === pattern || path.startsWith(`${pattern}/`);
  });
}

const workspaceManifests = (JSON.parse(readRepoFile("package.json")) as { workspaces: string[] }).workspaces
  .flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`)
      : [pattern],
  )
  .map((folder) => `${folder}/package.json`)
  .filter((manifest) => existsSync(join(ROOT, manifest)));

describe("Dockerfile", () => {
  it("copies only paths that exist and that .dockerignore lets through", () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), `COPY ${source}: no such path`).toBe(true);
      expect(isIgnored(source), `COPY ${source}: excluded by .dockerignore`).toBe(false);
    }
  });

  it("gives npm ci every workspace's package.json before the sources", () => {
    expect(workspaceManifests.length).toBeGreaterThan(10);
    const firstSources = sources.indexOf("apps/");
    for (const manifest of workspaceManifests) {
      const at = sources.indexOf(manifest);
      expect(at, `${manifest} is not copied`).toBeGreaterThanOrEqual(0);
      expect(at, `${manifest} is copied after the sources`).toBeLessThan(firstSources);
    }
  });

  it("builds every app the launcher knows, and apps/ has no other", () => {
    expect(readdirSync(join(ROOT, "apps")).sort()).toEqual([...APP_NAMES].sort());
    const build = instructions.filter((i) => i.stage === "build" && i.keyword === "RUN").map((i) => i.args);
    expect(build.join("\n")).toContain("npm run build");
    expect(build.join("\n")).toContain("infra/docker/assemble-runtime.sh /src /runtime");
  });

  it("runs as a numeric non-root user, the one of the manifests, the API by default", () => {
    const runtime = instructions.filter((i) => i.stage === "runtime");
    const user = runtime.find((i) => i.keyword === "USER")?.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(runtime.find((i) => i.keyword === "COPY")?.args).toContain("--from=build /runtime/ /app/");
    expect(runtime.find((i) => i.keyword === "WORKDIR")?.args).toBe("/app");
    const cmd = JSON.parse(runtime.find((i) => i.keyword === "CMD")?.args ?? "[]") as string[];
    expect(cmd).toEqual(["node", ...appCommand("api", "built").args]);
    for (const container of imageContainers()) {
      expect(container.securityContext?.runAsUser ?? container.podUser, container.name).toBe(
        Number(user?.split(":")[0]),
      );
    }
  });

  it("is based on the Node.js major version of .nvmrc", () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(readRepoFile("Dockerfile"))?.[1];
    expect(image).toBe(readRepoFile(".nvmrc").trim());
  });
});

describe("containers of the image in infra/k8s", () => {
  it("run a bundle of npm run build with node alone, from the image's working directory", () => {
    const containers = imageContainers();
    expect(containers.map((c) => c.name).sort()).toEqual(["api", "migrate", "scheduler", "worker"]);
    for (const container of containers) {
      const [program, ...args] = container.command ?? [];
      expect(program, container.name).toBe("node");
      const app = APP_NAMES.find((name) => args.includes(builtEntry(name)));
      if (!app) throw new Error(`${container.name} runs no built app: ${container.command?.join(" ")}`);
      expect(args.slice(0, 2), container.name).toEqual(appCommand(app, "built").args);
      expect(container.workingDir, container.name).toBe("/app");
    }
  });
});

interface ImageContainer extends Container {
  image?: string;
  command?: string[];
  workingDir?: string;
  securityContext?: { runAsUser?: number };
  /** The pod's runAsUser, when the container sets none. */
  podUser?: number;
}

/** Every container (of a Deployment or a Job) that runs this repository's image. */
function imageContainers(): ImageContainer[] {
  return k8sObjects().flatMap((object) => {
    const pod = (
      object.spec as
        | {
            template?: { spec?: { containers?: ImageContainer[]; securityContext?: { runAsUser?: number } } };
          }
        | undefined
    )?.template?.spec;
    return (pod?.containers ?? [])
      .filter((container) => container.image?.startsWith("accounts-processor:"))
      .map((container) => ({ ...container, podUser: pod?.securityContext?.runAsUser }));
  });
}
