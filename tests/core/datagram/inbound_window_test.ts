// The receive window of a datagram session (core/datagram/inbound_window.ts):
// each seq handled once, in order, whatever the arrival order.

import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeFrames, encodeFrame } from "../../../core/codec/mod.ts";
import { WINDOW } from "../../../core/datagram/limits.ts";
import { InboundWindow } from "../../../core/datagram/inbound_window.ts";

Deno.test("datagram: the inbound window hands out each seq once, in order", () => {
  const w = new InboundWindow();
  const tag = (n: number) =>
    [encodeFrame({ type: "ping", nonce: n })].map(
      (b) => decodeFrames(b)[0]!,
    );
  assert.equal(w.receive(3, tag(3)).status, "held");
  assert.equal(w.receive(3, tag(3)).status, "duplicate");
  assert.deepEqual([w.ack, w.mask], [0, 0b100]);
  const r = w.receive(1, tag(1));
  assert.equal(r.status, "new");
  assert.equal(r.status === "new" && r.ready.length, 1);
  assert.deepEqual([w.ack, w.mask], [1, 0b10]);
  const r2 = w.receive(2, tag(2));
  assert.deepEqual(
    r2.status === "new" && r2.ready.map((b) => b[0]),
    [{ type: "ping", nonce: 2 }, { type: "ping", nonce: 3 }],
  );
  assert.deepEqual([w.ack, w.mask], [3, 0]);
  assert.equal(w.receive(1, []).status, "duplicate");
  assert.equal(w.receive(3 + WINDOW + 1, []).status, "outside");
  assert.equal(w.receive(3 + WINDOW, []).status, "held");
  assert.equal(w.mask, 2 ** 31);
});

Deno.test("datagram property: any arrival order with duplicates yields each seq once, in order", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: WINDOW }),
      fc.array(fc.nat(), { maxLength: 200 }),
      (n, noise) => {
        // Every seq 1..n arrives at least once, in a shuffled order with
        // repeats; the window must release 1..n exactly once, in order.
        const arrivals = Array.from({ length: n }, (_, i) => i + 1);
        for (const x of noise) arrivals.push((x % n) + 1);
        for (let i = arrivals.length - 1; i > 0; i--) {
          const j = (noise[i % Math.max(1, noise.length)] ?? i) % (i + 1);
          [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
        }
        const w = new InboundWindow();
        const out: number[] = [];
        for (const seq of arrivals) {
          const frame = decodeFrames(encodeFrame({ type: "ping", nonce: seq }));
          const r = w.receive(seq, frame);
          if (r.status === "new") {
            for (const b of r.ready) {
              out.push((b[0] as { nonce: number }).nonce);
            }
          }
        }
        assert.deepEqual(out, Array.from({ length: n }, (_, i) => i + 1));
        assert.equal(w.ack, n);
        assert.equal(w.mask, 0);
      },
    ),
  );
});
