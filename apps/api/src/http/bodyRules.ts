import type { IncomingMessage } from "node:http";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

const SINGLE_BODY_LIMIT = 64 * 1024;
const BATCH_BODY_LIMIT = 1024 * 1024;

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `the body is larger than ${limit / 1024} KiB`);

/**
 * Reads the body of a POST under `/v1` straight from Node's IncomingMessage, enforcing the size
 * limits (1 MiB for the batch endpoint, 64 KiB otherwise; 413) and the media type (415), and hands
 * the text to Hono's body cache, where the validators find it.
 *
 * Why not Hono's Request body: @hono/node-server 1.x built a WHATWG Request and ReadableStream for
 * it, which measured at a third of the API's CPU per request. 2.x reads the Node stream directly
 * too, but to the end whatever its size; this reader stops at the limit. Reading the Node stream
 * here also keeps refused bodies harmless: a declared length over the limit is refused from the
 * header, and whatever was not read is dumped by Node when the answer is sent, so the connection
 * stays usable. The validators (@hono/zod-openapi) then parse the cached text: no body path of the
 * adapter is ever taken. Without Node bindings (tests calling `app.request`) the Request body is
 * read instead.
 */
export function jsonBodies(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method !== "POST" && method !== "PUT" && method !== "PATCH") return next();
    const declared = c.req.header("content-length");
    // A POST without a body (an admin action) has no media type to check.
    if ((declared === undefined || declared === "0") && c.req.header("transfer-encoding") === undefined)
      return next();
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      throw new ApiError("unsupported_media_type", "send the body as Content-Type: application/json");
    }
    const limit = c.req.path === "/v1/operations/batch" ? BATCH_BODY_LIMIT : SINGLE_BODY_LIMIT;
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const text = incoming ? await readNodeBody(incoming, limit) : await readWebBody(c.req.raw, limit);
    if (text === null) throw tooLarge(limit);
    // Hono keeps promises in its body cache (its type says values); `c.req.json()` then parses this.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
    await next();
  };
}

/** The body as text, or null when it passes `limit` (the rest is then discarded, not read). */
function readNodeBody(incoming: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        incoming.off("data", onData);
        incoming.off("end", onEnd);
        incoming.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8"),
      );
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", reject);
  });
}

async function readWebBody(request: Request, limit: number): Promise<string | null> {
  const body = request.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
