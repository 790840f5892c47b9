import { runCtl } from "./runCtl.ts";

// The operator command: `npm run ctl -- <command> ...` (see runCtl.ts for the commands).
process.exitCode = await runCtl(process.argv.slice(2), {
  io: { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
  env: process.env,
});
