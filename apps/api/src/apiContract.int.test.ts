import { readFileSync } from "node:fs";
import { REJECTION_CODES } from "@accounts/domain";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, statusOf } from "./http/errors.ts";
import { useInProcessApi } from "./testing/inProcessApi.ts";

// docs/api.md is the contract as people read it; /openapi.json the contract as the API serves it.
// This test fails when they drift: a route, a method, a status code or an error code that one has
// and the other has not. The API is the real one (createServices + createApp).

const contract = readFileSync(new URL("../../../docs/api.md", import.meta.url), "utf8");
const t = useInProcessApi({});

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: { Problem: { properties: { code: { description: string } } } } };
}

/** The routes docs/api.md documents: `### \`METHOD /path\`` headings with their "Answers:" line. */
function documentedRoutes(): Map<string, number[] | undefined> {
  const routes = new Map<string, number[] | undefined>();
  const sections = contract.split(/^### /m).slice(1);
  for (const section of sections) {
    const heading = /^`(GET|POST|PUT|PATCH|DELETE) (\/\S*)`\s*$/m.exec(section.split("\n")[0] ?? "");
    if (!heading) continue;
    const answers = /^Answers: ([\d, ]+)\.$/m.exec(section)?.[1];
    routes.set(
      `${heading[1]} ${heading[2]}`,
      answers?.split(",").map((s) => Number(s.trim())),
    );
  }
  return routes;
}

/** The rows of the markdown table under `## title`: its first column, unquoted, and its second. */
function tableOf(title: string): [string, string][] {
  const section = contract.split(`## ${title}\n`)[1]?.split(/^## /m)[0] ?? "";
  return section
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => {
      const [first = "", second = ""] = line
        .split("|")
        .slice(1)
        .map((cell) => cell.trim());
      return [first.replaceAll("`", ""), second];
    });
}

async function served(): Promise<OpenApiDocument> {
  const res = await t().app.request("/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApiDocument;
}

describe("docs/api.md and /openapi.json", () => {
  it("document the same routes, each with the same status codes", async () => {
    const document = await served();
    const inDocument = new Map<string, number[]>();
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        inDocument.set(`${method.toUpperCase()} ${path}`, Object.keys(operation.responses).map(Number));
      }
    }
    const documented = documentedRoutes();
    for (const [route, statuses] of inDocument) {
      expect(documented.has(route), `${route} is served but not in docs/api.md`).toBe(true);
      expect([...(documented.get(route) ?? [])].sort(), `the answers of ${route}`).toEqual(
        [...statuses].sort(),
      );
    }
    const outside = [...documented.keys()].filter((route) => !inDocument.has(route));
    // What docs/api.md adds must be the routes it says are outside the OpenAPI document, and served.
    const outsideSection = contract.split("## Served outside the OpenAPI document")[1] ?? "";
    for (const route of outside) {
      expect(outsideSection.includes(`### \`${route}\``), `${route} is in docs/api.md but not served`).toBe(
        true,
      );
      const [method, path] = route.split(" ") as [string, string];
      const res = await t().call("admin", method, path);
      expect(res.status, `${route} answers`).not.toBe(404);
    }
  });

  it("list the same error codes, each with the status the API gives it", async () => {
    const document = await served();
    const documented = tableOf("Error codes");
    // The Problem schema's `code` names every code with its status: "invalid_request (400), ...".
    const description = document.components.schemas.Problem.properties.code.description;
    const inDocument = [...description.matchAll(/(\w+) \((\d{3})\)/g)].map(
      ([, code, status]) => `${code} ${status}`,
    );
    expect(documented.map(([code, status]) => `${code} ${status}`).sort()).toEqual(inDocument.sort());
    expect(documented.map(([code]) => code).sort()).toEqual([...ERROR_CODES].sort());
    for (const [code, status] of documented) {
      expect(Number(status), code).toBe(statusOf(code as (typeof ERROR_CODES)[number]));
    }
  });

  it("lists the rejection codes the ledger gives", () => {
    expect(
      tableOf("Rejection codes")
        .map(([code]) => code)
        .sort(),
    ).toEqual([...REJECTION_CODES].sort());
  });
});
