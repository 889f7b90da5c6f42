// The short `deno task fuzz` (bench/fuzz.ts): 30,000 frames into each
// decoder, then ten seconds of garbage from 12 connections against a live
// server while 4 healthy members chat. The fuzzer checks its own
// invariants (nothing thrown, the server up, every healthy message heard
// exactly once and in order, RSS bounded, every garbage connection cut with
// its documented error) and exits 1 naming the seed when one breaks.

import assert from "node:assert/strict";
import type { FuzzReport } from "../bench/fuzz.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("fuzz: the 10-second run keeps every invariant", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-fuzz-" });
  try {
    const json = `${dir}/fuzz.json`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "bench/fuzz.ts",
        "--frames",
        "30000",
        "--duration",
        "10",
        "--garbage",
        "12",
        "--members",
        "4",
        "--rate",
        "5",
        "--json",
        json,
      ],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /^seed \d+ \(replay: deno task fuzz --seed \d+\)/);
    const report = JSON.parse(await Deno.readTextFile(json)) as FuzzReport;
    assert.deepEqual(report.failures, []);
    assert.deepEqual(report.decoders.map((d) => d.target), [
      "stream",
      "text",
      "datagram",
    ]);
    assert.ok(report.decoders.every((d) => d.frames >= 30000));
    const live = report.live!;
    assert.equal(live.survived, true);
    assert.equal(live.delivery.lost, 0);
    assert.ok(live.delivery.received > 0);
    for (const [kind, s] of Object.entries(live.garbage)) {
      assert.ok(s.connections > 0, `${kind}: no connection`);
      assert.deepEqual(s.wrong, {}, kind);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
