/**
 * The conformance kit's report: one line per case (PASS, FAIL or SKIP, the
 * group, the case, the sections of docs/protocol.md it checks, the time),
 * what went wrong under each failure, and a summary.
 *
 * @module
 */

import type { CaseResult } from "./run.ts";

const MARK = { pass: "PASS", fail: "FAIL", skip: "skip" } as const;

/**
 * The report of a run, as lines of text.
 *
 * @param results The results, in order.
 * @param server The server's URL, for the heading.
 * @returns The table, ending with a newline.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = formatTable([
 *   { group: "chat", name: "PING is answered", status: "pass", ms: 3, spec: [] },
 * ], "tcp://127.0.0.1:7878");
 * assert.match(text, /PASS\s+chat\s+PING is answered/);
 * assert.match(text, /1 passed, 0 failed/);
 * ```
 */
export function formatTable(
  results: readonly CaseResult[],
  server: string,
): string {
  const groupWidth = Math.max(5, ...results.map((r) => r.group.length));
  const nameWidth = Math.max(4, ...results.map((r) => r.name.length));
  const lines = [
    `roomcast protocol conformance: ${server}`,
    "",
    `${"".padEnd(4)}  ${"group".padEnd(groupWidth)}  ${
      "case".padEnd(nameWidth)
    }  ${"docs".padEnd(12)}  time`,
  ];
  for (const r of results) {
    const sections = [...new Set(r.spec.map((s) => s.section))]
      .map((s) => `§${s}`).join(" ");
    const time = r.status === "skip" ? "" : `${r.ms} ms`;
    lines.push(
      `${MARK[r.status]}  ${r.group.padEnd(groupWidth)}  ${
        r.name.padEnd(nameWidth)
      }  ${sections.padEnd(12)}  ${time}`.trimEnd(),
    );
    if (r.error !== undefined) {
      for (const line of r.error.split("\n").slice(0, 12)) {
        lines.push(`      ${line}`);
      }
    }
  }
  const count = (s: CaseResult["status"]) =>
    results.filter((r) => r.status === s).length;
  lines.push(
    "",
    `${count("pass")} passed, ${count("fail")} failed, ${
      count("skip")
    } skipped (not for this transport, or not asked for)`,
  );
  return lines.join("\n") + "\n";
}
