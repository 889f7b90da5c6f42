// Smoke runs of `deno task bench` with tiny counts (roomcast over TCP, then
// over UDP and WebSocket, about ten seconds each), so the bench cannot rot:
// the C generator builds, the server starts, every workload runs and the
// JSON and HTML are written. No timed assertions: figures are checked by the
// bench, not here; this checks that nothing was lost (over UDP: that losses
// are counted) and every field is there.

import assert from "node:assert/strict";
import type { Report } from "../bench/summary.ts";

const ROOT = new URL("../", import.meta.url);

/** Run the bench with tiny counts over some transports; write JSON and HTML. */
async function tinyRun(
  transports: string,
  memoryMembers: number,
  dir: string,
): Promise<{ stdout: string; report: Report; html: string }> {
  const json = `${dir}/bench.json`;
  const html = `${dir}/report.html`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/bench.ts",
      "--transport",
      transports,
      "--members",
      "10",
      "--latency-members",
      "10",
      "--memory-members",
      String(memoryMembers),
      "--memory-room-size",
      "20",
      "--rate",
      "200",
      "--warmup",
      "0.2",
      "--duration",
      "0.5",
      "--json",
      json,
      "--html",
      html,
      "--quiet",
    ],
    cwd: ROOT.pathname,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `bench failed:\n${stdout}\n${stderr}`);
  const report = JSON.parse(await Deno.readTextFile(json)) as Report;
  return { stdout, report, html: await Deno.readTextFile(html) };
}

Deno.test("bench: a tiny run of every workload over TCP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-smoke-" });
  try {
    const { stdout, report, html: page } = await tinyRun("tcp", 60, dir);
    assert.match(stdout, /W1 fan-out throughput/);
    assert.match(stdout, /rate limit: off/);

    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      report.runs.map((r) => `${r.target} ${r.workload}`),
      ["roomcast/tcp w1", "roomcast/tcp w2", "roomcast/tcp w3"],
    );
    for (const r of report.runs) {
      assert.equal(r.disconnects, 0, `${r.workload} lost connections`);
      if (r.workload === "w3") {
        assert.equal(r.connections, 60);
        assert.ok(r.rss_after_kib! > 0);
        assert.equal(typeof r.rss_per_member_kib, "number");
        continue;
      }
      assert.ok(r.total_sent! > 0, `${r.workload} sent nothing`);
      assert.equal(r.expected, r.total_sent! * 9);
      assert.equal(r.lost, 0, `${r.workload} lost messages`);
      assert.equal(r.seq_gaps, 0);
      assert.equal(r.seq_dups, 0);
      assert.equal(r.bad, 0);
      assert.ok(r.deliveries_per_s! > 0);
      assert.equal(typeof r.server_ns_per_delivery, "number");
      assert.equal(typeof r.gen_cpu_s, "number");
    }
    const w2 = report.runs.find((r) => r.workload === "w2")!;
    assert.ok(w2.latency_us!.count > 0);
    assert.ok(w2.latency_us!.p50 <= w2.latency_us!.p99);
    assert.ok(w2.latency_us!.p99 <= w2.latency_us!.max + 1);

    assert.match(page, /<svg/);
    assert.match(page, /roomcast\/tcp/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench: a tiny run over UDP and WebSocket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-smoke-" });
  try {
    const { stdout, report } = await tinyRun("udp,ws", 40, dir);
    assert.match(stdout, /datagrams\/s/);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      report.runs.map((r) => `${r.target} ${r.workload}`),
      ["w1", "w2", "w3"].flatMap((w) =>
        ["udp", "ws-json", "ws-batch", "ws-binary"].map((t) =>
          `roomcast/${t} ${w}`
        )
      ),
    );
    // ws is every WebSocket subprotocol, each spoken by the generator.
    assert.deepEqual(
      [...new Set(report.runs.map((r) => r.ws_protocol).filter(Boolean))],
      ["roomcast.v1", "roomcast.batch.v1", "roomcast.binary.v1"],
    );
    for (const r of report.runs) {
      assert.equal(r.disconnects, 0, `${r.target} ${r.workload} disconnects`);
      if (r.workload === "w3") {
        assert.equal(r.connections, 40);
        continue;
      }
      assert.ok(r.total_sent! > 0, `${r.target} ${r.workload} sent nothing`);
      assert.equal(r.expected, r.total_sent! * 9);
      assert.equal(r.received! + r.lost!, r.expected);
      assert.equal(r.seq_dups, 0);
      assert.equal(r.bad, 0);
      assert.equal(r.errors, 0);
      if (r.transport.startsWith("ws-")) {
        assert.equal(r.lost, 0, `${r.workload} over ws lost messages`);
        assert.equal(r.datagrams_per_s, undefined);
        continue;
      }
      // UDP from server to client is best effort: losses are counted (lost,
      // and the events the server numbered that never came), not asserted.
      assert.ok(r.datagrams_per_s! > 0);
      assert.ok(r.deliveries_per_datagram! > 0); // ACK-only datagrams too
      assert.ok(r.sent_datagrams_per_s! > 0);
      assert.ok(r.messages_per_sent_datagram! >= 1);
      assert.equal(typeof r.udp_lost_events, "number");
      assert.equal(typeof r.udp_retransmits, "number");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench: --help and a bad flag", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/bench.ts", ...args],
      cwd: ROOT.pathname,
      stdin: "null",
    }).output();
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--vs <list>/);
  const bad = await run(["--vs", "mosquitto"]);
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /not one of redis/);
});
