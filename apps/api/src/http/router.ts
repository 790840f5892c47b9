import { OpenAPIHono } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { ApiEnv } from "./context.ts";
import { ApiError, type FieldError } from "./errors.ts";

const TARGET_NAMES: Record<string, string> = {
  header: "header",
  query: "query",
  param: "path",
  json: "body",
};

/** Zod issues as problem `errors`: `path` in dotted form (`operations.3.amount`), one line each. */
function fieldErrors(error: ZodError, prefix = ""): FieldError[] {
  return error.issues.slice(0, 50).map((issue) => {
    const path = issue.path.map(String).join(".");
    const keys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    return { path: prefix + (path || "(root)"), message: `${issue.message}${keys}` };
  });
}

/**
 * A router whose validation failures are problem documents: a bad path parameter is a 404 (no such
 * resource), anything else a 400 `invalid_request` listing every field.
 */
export function newRouter(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      if (result.target === "param") throw new ApiError("not_found", "no such resource");
      const where = TARGET_NAMES[result.target] ?? result.target;
      throw new ApiError("invalid_request", `the request ${where} is invalid`, {
        errors: fieldErrors(result.error, result.target === "header" ? "header." : ""),
      });
    },
  });
}
