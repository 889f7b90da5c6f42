// The isolates' bus (adapters/isolates/bus.ts) over a MessageChannel: a
// turn's room events wait for the name releases they follow, and the
// connection count does not wait with them.

import assert from "node:assert/strict";
import { IsolateBus } from "../../../adapters/isolates/bus.ts";
import { MAX_HOLD_MS } from "../../../adapters/isolates/turn_hold.ts";

const frame = (n: number) => new Uint8Array([0xab, 1, 2, 0, 0, 0, 1, n]);

function pair() {
  const channel = new MessageChannel();
  const a = new IsolateBus({ channel: "-", id: "a", ports: [channel.port1] });
  const b = new IsolateBus({ channel: "-", id: "b", ports: [channel.port2] });
  const got: { at: number; what: string }[] = [];
  const start = performance.now();
  b.onEvents((w) =>
    got.push({ at: performance.now() - start, what: `frames ${w.b?.length}` })
  );
  b.onCount((n) =>
    got.push({ at: performance.now() - start, what: `count ${n}` })
  );
  return {
    a,
    b,
    got,
    close: async () => await Promise.all([a.close(), b.close()]),
  };
}

async function until(what: string, ok: () => boolean, ms = 2000) {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) {
      throw new Error(`not within ${ms} ms: ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("isolates bus: events wait for the release they follow, the connection count goes ahead of them", async () => {
  const { a, got, close } = pair();
  try {
    let release!: () => void;
    a.after(new Promise<void>((r) => release = r));
    a.publish(frame(1)); // a leave, say
    a.count(1); // its connection closed
    await until("the count", () => got.some((g) => g.what === "count 1"));
    assert.deepEqual(got.map((g) => g.what), ["count 1"], "events held");
    release();
    await until(
      "the events",
      () => got.some((g) => g.what.startsWith("frames")),
    );
    assert.deepEqual(got.map((g) => g.what), ["count 1", "frames 8"]);
  } finally {
    await close();
  }
});

Deno.test("isolates bus: a release that never settles holds the events at most MAX_HOLD_MS", async () => {
  const { a, got, close } = pair();
  try {
    a.after(new Promise<void>(() => {}));
    const sent = performance.now();
    a.publish(frame(1));
    await until(
      "the events",
      () => got.some((g) => g.what.startsWith("frames")),
      MAX_HOLD_MS + 2000,
    );
    const waited = performance.now() - sent;
    assert.ok(waited >= MAX_HOLD_MS - 5, `held ${waited} ms`);
  } finally {
    await close();
  }
});
