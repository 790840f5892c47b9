import { ConfigError } from "@accounts/runtime";
import { type Command, type CommandContext, EXIT, UsageError } from "./command.ts";
import { backupCommand } from "./commands/backup.ts";
import { clientsCommand } from "./commands/clients.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { restoreCommand } from "./commands/restore.ts";

/** Each command is a file under commands/; add it to this list. */
const COMMANDS: readonly Command[] = [clientsCommand, migrateCommand, backupCommand, restoreCommand];

const HELP = `Usage: npm run ctl -- <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join("\n")}

Run "npm run ctl -- <command> --help" for a command's options.
Reads DATABASE_URL (postgres://...) from the environment; when it is unset, the database of the
local stack that \`npm start\` runs (in .data/, or LOCAL_DATA_DIR). backup and restore also read
BACKUP_DIR; restore --to (point in time) reads PGBACKREST_CONFIG and PGBACKREST_STANZA instead.`;

/**
 * Runs the operator command line `argv` (without node and the script) and resolves to its exit
 * code. Usage and configuration errors exit 2, failures 1; neither prints a stack.
 */
export async function runCtl(argv: string[], context: CommandContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    context.io.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    context.io.err(`unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.io.err(`${error.message}\nRun "npm run ctl -- ${error.command} --help" for usage.`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      context.io.err(error.message);
      return EXIT.usage;
    }
    // Database and other failures: the message only (pg errors never carry the password), no stack.
    context.io.err(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}
