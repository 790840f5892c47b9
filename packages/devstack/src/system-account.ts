import { spawnSync } from "node:child_process";
import { chownSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

/** A Unix account that server processes run as. */
export interface SystemAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The account PostgreSQL must run as: `postgres` when this process is root (the server refuses
 * to run as root), nobody in particular (undefined: run as ourselves) otherwise.
 *
 * @example
 * const account = postgresRunAs(); // { name: "postgres", uid: 101, gid: 104 } when root
 * if (account) chownSync(folder, account.uid, account.gid);
 */
export function postgresRunAs(): SystemAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const account = lookupAccount("postgres");
  if (!account) {
    throw new Error(
      "running as root, but there is no 'postgres' system account to run PostgreSQL as (it refuses " +
        "to run as root). Install the server with: apt-get install postgresql (it creates the account), " +
        "or run as a non-root user.",
    );
  }
  return account;
}

/** Reads /etc/passwd; undefined when the account does not exist. */
export function lookupAccount(name: string): SystemAccount | undefined {
  let passwd: string;
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/**
 * Gives `dir` to `account` and checks that the account can really reach it. The check runs as
 * the account itself, because a folder it owns is still useless when a parent folder (say a
 * home directory with mode 700) cannot be traversed.
 */
export function handOver(dir: string, account: SystemAccount): void {
  chownSync(dir, account.uid, account.gid);
  if (canUse(dir, account, "-w")) return;
  const blocker = firstBlockingAncestor(dir, account);
  throw new Error(
    `the '${account.name}' system account cannot reach ${dir}` +
      (blocker ? ` because it may not enter ${blocker}` : "") +
      `. PostgreSQL refuses to run as root, so it runs as '${account.name}' and needs to traverse every ` +
      `parent folder. Fix it with: chmod o+x ${blocker ?? "<each parent folder>"}; or move the ` +
      "repository to a reachable place (such as /srv or /tmp), set DATABASE_URL and REDIS_URL to servers " +
      "of your own, or run as a non-root user.",
  );
}

function firstBlockingAncestor(dir: string, account: SystemAccount): string | undefined {
  const chain: string[] = [];
  for (let current = dirname(dir); ; current = dirname(current)) {
    chain.unshift(current);
    if (dirname(current) === current) break;
  }
  return chain.find((folder) => !canUse(folder, account, "-x"));
}

function canUse(path: string, account: SystemAccount, test: "-w" | "-x"): boolean {
  const result = spawnSync("/bin/sh", ["-c", `test -x "$1" && test ${test} "$1"`, "sh", path], {
    uid: account.uid,
    gid: account.gid,
    stdio: "ignore",
  });
  return result.status === 0;
}
