// The short `deno task soak` (bench/soak.ts): 100 members for 20 seconds,
// 10 of them misbehaving. The soak checks its own invariants (no healthy
// message lost, duplicated or out of order, healthy p99 under its limit in
// every window, RSS under its limit, the server up) and exits 1 when one
// breaks; this checks that it ran every kind of misbehaviour and wrote its
// report with both charts.

import assert from "node:assert/strict";
import type { SoakReport } from "../bench/soak_report.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("soak: the 20-second run loses nothing and reports p99, RSS and cut-offs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-soak-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "bench/soak.ts",
        "--members",
        "100",
        "--duration",
        "20",
        "--report",
        `${dir}/soak.html`,
        "--json",
        `${dir}/soak.json`,
      ],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `${stdout}\n${stderr}`);
    const report = JSON.parse(
      await Deno.readTextFile(`${dir}/soak.json`),
    ) as SoakReport;
    assert.deepEqual(report.failures, []);
    assert.equal(report.healthy, 90);
    assert.equal(report.misbehaving, 10);
    assert.equal(report.delivery.lost, 0);
    assert.ok(report.delivery.received > 0);
    assert.ok(report.p99.length >= 2);
    assert.ok(report.rss.length >= 5);
    assert.ok((report.cuts["error:TOO_MANY_ERRORS"] ?? 0) > 0);
    for (const [kind, s] of Object.entries(report.misbehavers)) {
      assert.ok(s.connections > 0, `${kind}: no connection`);
    }
    const html = await Deno.readTextFile(`${dir}/soak.html`);
    assert.equal(html.match(/<svg /g)?.length, 2);
    assert.match(html, /p99 latency over time/);
    assert.match(html, /resident memory over time/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
