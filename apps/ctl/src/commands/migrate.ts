import { migrateToLatest } from "@accounts/db";
import { type Command, EXIT, parseCommandLine } from "../command.ts";
import { loadCtlConfig } from "../config.ts";

const HELP = `Usage: npm run ctl -- migrate

Applies the pending database migrations to DATABASE_URL (the tables' owner), and says which. Safe
while the apps run and when several run it at once (they queue on a lock). \`npm start\` runs it by
itself; in production run it before rolling out a new version: node dist/ctl/main.js migrate`;

/** `migrate`: the schema to the latest migration, from the built image as from the sources. */
export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply pending database migrations",
  help: HELP,
  async run(args, { io, env }) {
    if (args.includes("--help") || args.includes("-h")) {
      io.out(HELP);
      return EXIT.ok;
    }
    parseCommandLine("migrate", args, {});
    const { applied } = await migrateToLatest(loadCtlConfig(env).DATABASE_URL);
    io.out(applied.length ? `applied: ${applied.join(", ")}` : "the database schema is up to date");
    return EXIT.ok;
  },
};
