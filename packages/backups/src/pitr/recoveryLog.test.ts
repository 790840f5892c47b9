import { describe, expect, it } from "vitest";
import { parseRecoveryLog } from "./recoveryLog.ts";

// Lines as PostgreSQL 15 logged them during a restore made with pgBackRest.
const TO_TIME = `
2026-12-02 05:52:00.901 UTC [14032] LOG:  starting point-in-time recovery to 2026-12-02 05:51:51.742393+00
2026-12-02 05:52:01.000 UTC [14032] LOG:  restored log file "000000010000000000000003" from archive
2026-12-02 05:52:01.100 UTC [14032] LOG:  redo starts at 0/3000028
2026-12-02 05:52:01.150 UTC [14032] LOG:  consistent recovery state reached at 0/3000100
2026-12-02 05:52:01.200 UTC [14032] LOG:  restored log file "000000010000000000000004" from archive
2026-12-02 05:52:01.273 UTC [14032] LOG:  recovery stopping before commit of transaction 726, time 2026-12-02 05:51:51.786389+00
2026-12-02 05:52:01.273 UTC [14032] LOG:  redo done at 0/4016630 system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.16 s
2026-12-02 05:52:01.273 UTC [14032] LOG:  last completed transaction was at log time 2026-12-02 05:51:51.700449+00
2026-12-02 05:52:01.380 UTC [14032] LOG:  selected new timeline ID: 2
2026-12-02 05:52:01.439 UTC [14032] LOG:  archive recovery complete
2026-12-02 05:52:01.473 UTC [14018] LOG:  database system is ready to accept connections
`
  .trim()
  .split("\n");

describe("parseRecoveryLog", () => {
  it("follows a recovery to a time: segments, where it stopped, the new timeline", () => {
    expect(parseRecoveryLog(TO_TIME)).toEqual({
      segmentsRestored: 2,
      lastSegment: "000000010000000000000004",
      consistent: true,
      stoppedAt: "before commit of transaction 726, time 2026-12-02 05:51:51.786389+00",
      lastTransactionAt: "2026-12-02 05:51:51.700449+00",
      newTimeline: 2,
      recoveryComplete: true,
      fatal: null,
    });
  });

  it("reports a progress so far, and why a recovery gave up", () => {
    expect(parseRecoveryLog(TO_TIME.slice(0, 3))).toMatchObject({
      segmentsRestored: 1,
      recoveryComplete: false,
    });
    const failed = parseRecoveryLog([
      ...TO_TIME.slice(0, 5),
      "2026-12-02 05:52:01.300 UTC [14032] FATAL:  recovery ended before configured recovery target was reached",
      "2026-12-02 05:52:01.310 UTC [14018] LOG:  startup process (PID 14032) exited with exit code 1",
    ]);
    expect(failed.fatal).toBe("recovery ended before configured recovery target was reached");
    expect(failed.recoveryComplete).toBe(false);
  });

  it("takes the server's own FATAL with its DETAIL, not the refusals of connection attempts", () => {
    const lines = [
      "2026-12-02 06:25:26.620 UTC [9523] FATAL:  the database system is starting up",
      '2026-12-02 06:25:27.084 UTC [9522] LOG:  restored log file "000000010000000000000002" from archive',
      "2026-12-02 06:25:27.102 UTC [9522] FATAL:  recovery aborted because of insufficient parameter settings",
      "2026-12-02 06:25:27.102 UTC [9522] DETAIL:  max_connections = 100 is a lower setting than on the primary server, where its value was 200.",
      "2026-12-02 06:25:27.102 UTC [9522] HINT:  You can restart the server after making the necessary configuration changes.",
      "2026-12-02 06:25:27.130 UTC [9530] FATAL:  the database system is shutting down",
    ];
    expect(parseRecoveryLog(lines).fatal).toBe(
      "recovery aborted because of insufficient parameter settings (max_connections = 100 is a lower setting than on the primary server, where its value was 200.)",
    );
  });
});
