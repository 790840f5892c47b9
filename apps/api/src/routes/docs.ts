import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";

// Swagger UI's files come from the installed package, found by module resolution (not the working
// directory), and are served by the API itself: the docs work offline and behind any proxy.
const uiDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};
const assetCache = new Map<string, string>();

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Accounts processor API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", deepLinking: true });</script>
</body>
</html>`;

/** `GET /docs`: human-readable API docs (Swagger UI over `/openapi.json`). No authentication. */
export function docsRoutes(): Hono {
  const app = new Hono();
  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/assets/:file", (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.notFound();
    let body = assetCache.get(file);
    if (body === undefined) {
      body = readFileSync(join(uiDir, file), "utf8");
      assetCache.set(file, body);
    }
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
  return app;
}
