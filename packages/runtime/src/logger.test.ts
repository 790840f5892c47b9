import { describe, expect, it } from "vitest";
import { capturingLogger, fixedFieldsLogger } from "./logger.ts";

describe("createLogger", () => {
  it("redacts keys and secrets, at the top and one level down", () => {
    const { log, lines } = capturingLogger();
    log.info({ key: "ak_secret", client: { apiKey: "ak_other", name: "desk" }, password: "p" }, "oops");
    expect(lines[0]).toMatchObject({
      key: "[redacted]",
      client: { apiKey: "[redacted]", name: "desk" },
      password: "[redacted]",
      service: "test",
      level: "info",
    });
    expect(JSON.stringify(lines)).not.toContain("ak_");
  });
});

describe("fixedFieldsLogger", () => {
  it("writes the same line shape (service, level label, time) without the redaction pass", () => {
    const { log, lines } = capturingLogger();
    const requestLog = fixedFieldsLogger(log);
    requestLog.info({ requestId: "r1", route: "/v1/operations", status: 202 }, "request");
    log.info({ requestId: "r1", route: "/v1/operations", status: 202 }, "request");
    const [fixed, normal] = lines;
    expect(fixed).toMatchObject({ requestId: "r1", route: "/v1/operations", status: 202, msg: "request" });
    expect(Object.keys(fixed ?? {}).sort()).toEqual(Object.keys(normal ?? {}).sort());
    // The negative control of the redaction test above: the pass is really off here.
    requestLog.info({ key: "visible" }, "not redacted");
    expect(lines[2]?.key).toBe("visible");
  });

  it("follows the level it was made with", () => {
    const { log, lines } = capturingLogger("warn");
    fixedFieldsLogger(log).info({ requestId: "r1" }, "request");
    fixedFieldsLogger(log).warn({ requestId: "r2" }, "request");
    expect(lines.map((l) => l.requestId)).toEqual(["r2"]);
  });
});
