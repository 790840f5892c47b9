import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capacitySection } from "./capacity.ts";
import type { Comparison } from "./report.ts";
import { htmlReport } from "./reportHtml.ts";

/*
 * `npm run bench -- --report-only <folder>`: renders the report of a saved run again, from its
 * result.json and report.md, without measuring anything: the capacity sections are derived again
 * from the saved results (so a change to capacity.ts applies to old runs), the rest of report.md is
 * kept as written, and report.html is built anew from both.
 */

/** report.md with its capacity sections (## Capacity...) replaced by `section`, or `section` appended. */
export function replaceCapacitySection(markdown: string, section: string): string {
  const lines = markdown.trimEnd().split("\n");
  const kept: string[] = [];
  let inCapacity = false;
  let at = -1;
  for (const line of lines) {
    if (line.startsWith("## ")) {
      inCapacity = line.startsWith("## Capacity");
      if (inCapacity && at < 0) at = kept.length;
    }
    if (!inCapacity) kept.push(line);
  }
  if (!section) return `${kept.join("\n")}\n`;
  if (at < 0) return `${kept.join("\n")}\n\n${section}\n`;
  return `${[...kept.slice(0, at), ...section.split("\n"), "", ...kept.slice(at)].join("\n").trimEnd()}\n`;
}

export function renderSavedReport(folder: string): string {
  const result = JSON.parse(readFileSync(join(folder, "result.json"), "utf8")) as {
    comparisons: Comparison[];
  };
  const markdown = replaceCapacitySection(
    readFileSync(join(folder, "report.md"), "utf8"),
    capacitySection(result.comparisons),
  );
  const title = /^# (.*)$/m.exec(markdown)?.[1] ?? "Benchmark report";
  writeFileSync(join(folder, "report.md"), markdown);
  const page = join(folder, "report.html");
  writeFileSync(page, htmlReport(title, markdown, result.comparisons));
  return page;
}
