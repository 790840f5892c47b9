import {
  type ClientSummary,
  type Db,
  insertAuditEvents,
  insertClient,
  listClients,
  revokeClient,
} from "@accounts/db";
import {
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  isScope,
  newClientId,
  SCOPES,
  type Scope,
} from "@accounts/domain";
import { type Command, type CommandContext, EXIT, parseCommandLine, UsageError } from "../command.ts";
import { withDatabase } from "../database.ts";
import { operatorHost, operatorName } from "../operator.ts";
import { formatTable } from "../table.ts";

const CREATE_HELP = `Usage: npm run ctl -- clients create --name NAME --scopes SCOPE[,SCOPE...] [--rate-limit N] [--json]

Creates an API client and prints its id, its API key and its webhook signing secret, once.
The key is stored only as a hash and cannot be shown again; no command shows the secret again either.

  --name NAME         who calls with this key, e.g. trading-engine
  --scopes LIST       comma-separated, from: ${SCOPES.join(", ")}
  --rate-limit N      requests per second per API instance (default 10000)
  --json              print one JSON object instead of text`;

const LIST_HELP = `Usage: npm run ctl -- clients list [--json]

Lists every API client, revoked ones included: id, name, key prefix, scopes, rate limit,
created and revoked times. Never keys or secrets.`;

const REVOKE_HELP = `Usage: npm run ctl -- clients revoke CLIENT_ID

Revokes a client: API instances refuse its key within CLIENT_REFRESH_SECONDS (5 s by default).
Its operations and audit rows stay. Revoking an already revoked client changes nothing.`;

const HELP = `Usage: npm run ctl -- clients <create|list|revoke> [options]

Manages API clients (the calling services, their keys and scopes). Every change is audited.

  create    create a client; prints its key and webhook secret once
  list      list clients (never secrets)
  revoke    revoke a client's key

Run "npm run ctl -- clients <subcommand> --help" for the options of each.`;

const MAX_RATE_LIMIT = 1_000_000;

/** `clients create|list|revoke`. */
export const clientsCommand: Command = {
  name: "clients",
  summary: "create, list and revoke API clients",
  help: HELP,
  async run(args, context) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === "--help" || subcommand === "-h") {
      context.io.out(HELP);
      return subcommand === undefined ? EXIT.usage : EXIT.ok;
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      const help = { create: CREATE_HELP, list: LIST_HELP, revoke: REVOKE_HELP }[subcommand];
      if (help) {
        context.io.out(help);
        return EXIT.ok;
      }
    }
    switch (subcommand) {
      case "create":
        return create(rest, context);
      case "list":
        return list(rest, context);
      case "revoke":
        return revoke(rest, context);
      default:
        throw new UsageError(
          `unknown subcommand "${subcommand}"; expected create, list or revoke`,
          "clients",
        );
    }
  },
};

async function create(args: string[], { io, env }: CommandContext): Promise<number> {
  const { values } = parseCommandLine("clients create", args, {
    name: { type: "string" },
    scopes: { type: "string" },
    "rate-limit": { type: "string" },
    json: { type: "boolean" },
  });
  const name = parseName(values.name);
  const scopes = parseScopes(values.scopes);
  const rateLimit = values["rate-limit"] === undefined ? undefined : parseRateLimit(values["rate-limit"]);

  const { key, prefix } = generateApiKey();
  const webhookSecret = generateWebhookSecret();
  const client = await withDatabase(env, (db) =>
    db.transaction().execute(async (trx) => {
      const created = await insertClient(trx, {
        id: newClientId(),
        name,
        keyHash: hashApiKey(key),
        keyPrefix: prefix,
        scopes,
        webhookSecret,
        ...(rateLimit !== undefined ? { rateLimit } : {}),
      });
      await audit(trx, "client.created", created.id, {
        name,
        keyPrefix: prefix,
        scopes,
        rateLimit: created.rateLimit,
      });
      return created;
    }),
  );

  if (values.json) {
    io.out(JSON.stringify({ ...summaryJson(client), apiKey: key, webhookSecret }));
    return EXIT.ok;
  }
  io.out(
    [
      `Created API client ${client.id}`,
      "",
      `  name            ${client.name}`,
      `  scopes          ${client.scopes.join(", ")}`,
      `  rate limit      ${client.rateLimit} requests/s`,
      `  API key         ${key}`,
      `  webhook secret  ${webhookSecret}`,
      "",
      "Copy the API key and the webhook secret into your secret store now: they are shown only",
      "this once. The key is stored only as a hash (it cannot be recovered), and no command ever",
      "prints the webhook secret again.",
    ].join("\n"),
  );
  return EXIT.ok;
}

async function list(args: string[], { io, env }: CommandContext): Promise<number> {
  const { values } = parseCommandLine("clients list", args, { json: { type: "boolean" } });
  const clients = await withDatabase(env, (db) => listClients(db));
  if (values.json) {
    io.out(JSON.stringify(clients.map(summaryJson)));
    return EXIT.ok;
  }
  if (clients.length === 0) {
    io.out("No API clients yet. Create one with: npm run ctl -- clients create --name NAME --scopes ...");
    return EXIT.ok;
  }
  io.out(
    formatTable(
      ["ID", "NAME", "KEY PREFIX", "SCOPES", "RATE LIMIT", "CREATED", "REVOKED"],
      clients.map((client) => [
        client.id,
        client.name,
        client.keyPrefix,
        client.scopes.join(","),
        String(client.rateLimit),
        client.createdAt.toISOString(),
        client.revokedAt?.toISOString() ?? "-",
      ]),
    ),
  );
  return EXIT.ok;
}

async function revoke(args: string[], { io, env }: CommandContext): Promise<number> {
  const { positionals } = parseCommandLine("clients revoke", args, {}, true);
  const [id, ...extra] = positionals;
  if (id === undefined)
    throw new UsageError("which client? give its id (see clients list)", "clients revoke");
  if (extra.length > 0) throw new UsageError("give exactly one client id", "clients revoke");

  const outcome = await withDatabase(env, (db) =>
    db.transaction().execute(async (trx) => {
      if (await revokeClient(trx, id)) {
        await audit(trx, "client.revoked", id, {});
        return "revoked" as const;
      }
      const existing = (await listClients(trx)).find((client) => client.id === id);
      return existing ? ("already revoked" as const) : ("unknown" as const);
    }),
  );
  switch (outcome) {
    case "revoked":
      io.out(`Revoked ${id}. API instances refuse its key within CLIENT_REFRESH_SECONDS (5 s by default).`);
      return EXIT.ok;
    case "already revoked":
      io.out(`${id} was already revoked; nothing changed.`);
      return EXIT.ok;
    case "unknown":
      io.err(`No API client has the id ${id}. See: npm run ctl -- clients list`);
      return EXIT.failed;
  }
}

async function audit(
  db: Db,
  event: string,
  clientId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await insertAuditEvents(db, [
    { event, clientId, actor: operatorName(), details: { ...details, host: operatorHost(), via: "ctl" } },
  ]);
}

function parseName(value: string | undefined): string {
  const name = value?.trim();
  if (!name) throw new UsageError("--name is required, e.g. --name trading-engine", "clients create");
  if (name.length > 100 || /\p{Cc}/u.test(name)) {
    throw new UsageError("--name must be 1 to 100 characters without control characters", "clients create");
  }
  return name;
}

function parseScopes(value: string | undefined): Scope[] {
  const valid = `valid scopes: ${SCOPES.join(", ")}`;
  if (value === undefined) throw new UsageError(`--scopes is required (${valid})`, "clients create");
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !isScope(item));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown scope${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `"${s}"`).join(", ")}; ${valid}`,
      "clients create",
    );
  }
  if (items.length === 0)
    throw new UsageError(`--scopes needs at least one scope (${valid})`, "clients create");
  // Kept in the catalog's order, once each, whatever order they were typed in.
  return SCOPES.filter((scope) => items.includes(scope));
}

function parseRateLimit(value: string): number {
  const rate = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(rate) || rate < 1 || rate > MAX_RATE_LIMIT) {
    throw new UsageError(
      `--rate-limit must be a whole number of requests per second from 1 to ${MAX_RATE_LIMIT}`,
      "clients create",
    );
  }
  return rate;
}

function summaryJson(client: ClientSummary) {
  return {
    id: client.id,
    name: client.name,
    keyPrefix: client.keyPrefix,
    scopes: client.scopes,
    rateLimit: client.rateLimit,
    createdAt: client.createdAt.toISOString(),
    revokedAt: client.revokedAt?.toISOString() ?? null,
  };
}
