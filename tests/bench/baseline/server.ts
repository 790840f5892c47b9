/**
 * The naive baseline of the benchmark: the same HTTP contract done the obvious way. Hono + pg, one
 * transaction per operation (SELECT ... FOR UPDATE of the touched rows, then an UPDATE each), no
 * queue, no batching, answering the final result synchronously. Same validation (the domain's zod
 * schema) and a static Bearer check, so that the comparison is about the architecture.
 *
 * Env: DATABASE_URL, PORT, API_KEY, POOL_MAX.
 */
import { type OperationRequest, operationRequestSchema } from "@accounts/domain";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pg from "pg";

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_MAX ?? 20),
});
pool.on("error", () => {});
const apiKey = process.env.API_KEY ?? "";

interface Move {
  userId: string;
  currency: string;
  available: string;
  reserved: string;
}

/** The balance changes of an operation, as signed decimal strings per bucket. */
function movesOf(request: OperationRequest): Move[] {
  const moves: Move[] = [];
  const add = (userId: string, currency: string, bucket: "available" | "reserved", amount: string) =>
    moves.push({
      userId,
      currency,
      available: bucket === "available" ? amount : "0",
      reserved: bucket === "reserved" ? amount : "0",
    });
  if (request.type === "transfer") {
    for (const p of request.postings) {
      add(p.from.userId, p.currency, p.from.bucket, `-${p.amount}`);
      add(p.to.userId, p.currency, p.to.bucket, p.amount);
    }
    return moves;
  }
  const { userId, currency } = request.account;
  if (request.type === "credit") add(userId, currency, "available", request.amount);
  else if (request.type === "debit") add(userId, currency, request.bucket, `-${request.amount}`);
  else if (request.type === "reserve") {
    add(userId, currency, "available", `-${request.amount}`);
    add(userId, currency, "reserved", request.amount);
  } else {
    add(userId, currency, "reserved", `-${request.amount}`);
    add(userId, currency, "available", request.amount);
  }
  return moves;
}

async function applyOne(request: OperationRequest): Promise<{ status: string }> {
  const moves = movesOf(request);
  const keys = [...new Set(moves.map((m) => `${m.userId}\u0000${m.currency}`))].sort();
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const key of keys) {
      const [userId, currency] = key.split("\u0000");
      await client.query(
        "SELECT available, reserved FROM baseline_accounts WHERE user_id = $1 AND currency = $2 FOR UPDATE",
        [userId, currency],
      );
    }
    for (const m of moves) {
      const { rows } = await client.query(
        `UPDATE baseline_accounts SET available = available + $3, reserved = reserved + $4, version = version + 1
         WHERE user_id = $1 AND currency = $2 RETURNING available, reserved`,
        [m.userId, m.currency, m.available, m.reserved],
      );
      const row = rows[0] as { available: string; reserved: string } | undefined;
      if (!row || row.available.startsWith("-") || row.reserved.startsWith("-")) {
        await client.query("ROLLBACK");
        return { status: "rejected" };
      }
    }
    await client.query("COMMIT");
    return { status: "applied" };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const app = new Hono();
app.use("/v1/*", async (c, next) => {
  if (c.req.header("authorization") !== `Bearer ${apiKey}`) return c.json({ code: "unauthorized" }, 401);
  await next();
});
app.post("/v1/operations", async (c) => {
  const parsed = operationRequestSchema.safeParse(await c.req.json());
  if (!parsed.success) return c.json({ code: "invalid_request" }, 400);
  return c.json(await applyOne(parsed.data), 200);
});
app.post("/v1/operations/batch", async (c) => {
  const body = (await c.req.json()) as { operations?: unknown[] };
  const results = [];
  for (const item of body.operations ?? []) {
    const { idempotencyKey: _ignored, ...rest } = item as Record<string, unknown>;
    const parsed = operationRequestSchema.safeParse(rest);
    results.push(parsed.success ? await applyOne(parsed.data) : { status: "invalid" });
  }
  return c.json({ results }, 200);
});
app.get("/ready", (c) => c.json({ ready: true }));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3100), hostname: "127.0.0.1" });
process.on("SIGTERM", () => {
  pool.end().finally(() => process.exit(0));
});
