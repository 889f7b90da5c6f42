// The bounded ring behind room histories and members' sent logs
// (core/history_ring.ts, core/sent_log.ts), checked against a model: it
// keeps the longest run of the newest items within both bounds, in order.

import assert from "node:assert/strict";
import fc from "fast-check";
import { HistoryRing } from "../../core/history_ring.ts";
import { Outgoing } from "../../core/peer.ts";
import { SentLog } from "../../core/sent_log.ts";

/** The model: the longest suffix of `sizes` within both bounds. */
function model(sizes: readonly number[], maxItems: number, maxBytes: number) {
  const kept: number[] = [];
  let bytes = 0;
  for (let i = sizes.length - 1; i >= 0; i--) {
    const size = sizes[i]!;
    if (kept.length === maxItems || bytes + size > maxBytes) break;
    kept.unshift(i);
    bytes += size;
  }
  return { kept, bytes };
}

Deno.test("history ring: bounds, order and byte limit hold after any pushes", () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 20 }),
      fc.nat({ max: 200 }),
      fc.array(fc.nat({ max: 60 }), { maxLength: 200 }),
      (maxItems, maxBytes, sizes) => {
        const ring = new HistoryRing<number>({ maxItems, maxBytes });
        sizes.forEach((size, i) => {
          ring.push(i, size);
          // Every step, not only the last.
          assert.ok(ring.length <= maxItems);
          assert.ok(ring.bytes <= maxBytes);
        });
        const want = model(sizes, maxItems, maxBytes);
        assert.deepEqual(ring.items(), want.kept);
        assert.equal(ring.bytes, want.bytes);
        assert.equal(ring.length + ring.dropped, sizes.length);
        const from = Math.floor(want.kept.length / 2);
        assert.deepEqual(ring.items(from), want.kept.slice(from));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("history ring: bad bounds are refused", () => {
  assert.throws(
    () => new HistoryRing({ maxItems: -1, maxBytes: 1 }),
    { name: "RangeError", message: /^Cannot bound a ring: maxItems -1/ },
  );
  assert.throws(
    () => new HistoryRing({ maxItems: 1, maxBytes: 0.5 }),
    RangeError,
  );
});

Deno.test("sent log: the events after any number, and how many are gone", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.nat({ max: 100 }),
      fc.nat({ max: 120 }),
      fc.nat({ max: 50 }),
      (keep, count, seen, start) => {
        const log = new SentLog({ events: keep, bytes: 1 << 20 }, start);
        for (let n = 1; n <= count; n++) {
          log.record(new Outgoing({ type: "pong", nonce: start + n }));
        }
        const last = start + count;
        assert.equal(log.seq, last);
        const r = log.after(seen);
        const numbers = r.events.map((o) =>
          o.event.type === "pong" && o.event.nonce
        );
        // Exactly the numbers after seq, up to the last, in order.
        assert.deepEqual(
          numbers,
          Array.from({ length: last - r.seq }, (_, i) => r.seq + 1 + i),
        );
        const from = Math.min(seen, last);
        assert.equal(r.seq, from + r.lost);
        assert.ok(r.events.length <= keep);
        // Something is said lost only when the log kept all it could.
        if (r.lost > 0) assert.equal(r.events.length, Math.min(keep, count));
      },
    ),
    { numRuns: 500 },
  );
});
