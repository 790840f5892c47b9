import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";

/**
 * The client's wire types, generated from the OpenAPI document the API serves (`GET /openapi.json`),
 * which the API derives from the zod schemas it validates with (`@accounts/domain` for requests,
 * its own response schemas). Nothing is copied by hand: `src/generated/api.ts` is this function's
 * output, and `src/generated/api.int.test.ts` fails when it differs from what a running API serves.
 *
 * Only the routes the client calls are kept, and only their shape: descriptions, examples and
 * summaries are dropped, so rewording the API's docs does not make the file stale, while any change
 * of a field, a type, an enum or a required list does.
 */

/** The routes (and methods) the client calls. */
export const CLIENT_ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/v1/operations": ["post"],
  "/v1/operations/batch": ["post"],
  "/v1/operations/{id}": ["get"],
  "/v1/operations/{id}/deliveries": ["get"],
  "/v1/accounts/{userId}/balances": ["get"],
  "/v1/accounts/{userId}/balances/{currency}": ["get"],
  "/v1/accounts/{userId}/entries": ["get"],
  "/v1/currencies": ["get"],
};

const PROSE = new Set(["description", "summary", "example", "examples", "tags", "title", "operationId"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A copy of `value` without prose keys (a property *named* "description" in `properties` stays). */
function shapeOnly(value: Json, parentKey = ""): Json {
  if (Array.isArray(value)) return value.map((item) => shapeOnly(item));
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(value).sort()) {
    if (parentKey !== "properties" && PROSE.has(key)) continue;
    out[key] = shapeOnly(value[key] as Json, key);
  }
  return out;
}

/** Names of the component schemas that `value` refers to, followed through `schemas`. */
function referencedSchemas(
  value: Json,
  schemas: Record<string, Json>,
  found = new Set<string>(),
): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedSchemas(item, schemas, found);
  } else if (value !== null && typeof value === "object") {
    const ref = value.$ref;
    if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) {
      const name = ref.slice("#/components/schemas/".length);
      if (!found.has(name)) {
        found.add(name);
        referencedSchemas(schemas[name] ?? null, schemas, found);
      }
    }
    for (const child of Object.values(value)) referencedSchemas(child, schemas, found);
  }
  return found;
}

/** The part of an OpenAPI document that the client's types are made of. */
export function clientDocument(document: OpenAPI3): OpenAPI3 {
  const source = document as unknown as {
    paths: Record<string, Record<string, Json>>;
    components?: { schemas?: Record<string, Json> };
  };
  const paths: Record<string, Record<string, Json>> = {};
  for (const [path, methods] of Object.entries(CLIENT_ROUTES)) {
    const item = source.paths[path];
    if (!item) throw new Error(`the OpenAPI document has no path ${path}`);
    paths[path] = {};
    for (const method of methods) {
      const operation = item[method];
      if (operation === undefined) throw new Error(`the OpenAPI document has no ${method} ${path}`);
      const { security: _security, ...rest } = operation as { [key: string]: Json };
      (paths[path] as Record<string, Json>)[method] = shapeOnly(rest);
    }
  }
  const allSchemas = source.components?.schemas ?? {};
  const keep = [...referencedSchemas(paths as unknown as Json, allSchemas)].sort();
  const schemas: Record<string, Json> = {};
  for (const name of keep) schemas[name] = shapeOnly(allSchemas[name] ?? null);
  return {
    openapi: document.openapi,
    info: { title: document.info.title, version: document.info.version },
    paths,
    components: { schemas },
  } as unknown as OpenAPI3;
}

export const GENERATED_HEADER =
  "// Generated from the API's OpenAPI document by packages/client/scripts/apiTypes.ts: do not edit.\n" +
  '// Regenerate: npx vitest run packages/client/src/test/methods.int.test.ts -t "wire types" -u (starts the API).\n';

/**
 * The TypeScript source of the wire types.
 *
 * @example
 * const source = await generateApiTypes(await (await fetch(`${apiUrl}/openapi.json`)).json());
 */
export async function generateApiTypes(document: OpenAPI3): Promise<string> {
  const ast = await openapiTS(clientDocument(document), {
    // A field with a default (a debit's `bucket`) may be left out by callers.
    defaultNonNullable: false,
    alphabetize: true,
    silent: true,
  });
  return formatted(`${GENERATED_HEADER}\n${astToString(ast)}`);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const GENERATED_FILE = join(ROOT, "packages", "client", "src", "generated", "api.ts");

/** The source as the repository's formatter (Biome) writes it, so that the generated file passes lint. */
function formatted(source: string): string {
  return execFileSync(
    join(ROOT, "node_modules", ".bin", "biome"),
    ["format", `--stdin-file-path=${GENERATED_FILE}`],
    {
      cwd: ROOT,
      input: source,
      encoding: "utf8",
    },
  );
}
