// One room's history in an isolate's copy (adapters/isolates/ordered_ring.ts):
// whatever order the entries reach an isolate in, it keeps the same ones, in
// the same order, as one that got them in order, and as core's HistoryRing
// keeps entries that come in order.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  OrderedRing,
  type Placed,
} from "../../../adapters/isolates/ordered_ring.ts";
import { HistoryRing } from "../../../core/history_ring.ts";

/** An entry said at `time` by `origin`, `size` bytes long. */
function placed(time: number, origin: string, size: number, n: number): Placed {
  return {
    entry: { time, event: { type: "announcement", room: null, text: `${n}` } },
    size,
    origin,
  };
}

/** Said earlier, or at once by a smaller id; as said, for one origin. */
function inOrder(list: readonly Placed[]): Placed[] {
  return list.map((p, i) => [p, i] as const).sort(([a, i], [b, j]) =>
    a.entry.time - b.entry.time ||
    (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : i - j)
  ).map(([p]) => p);
}

const texts = (list: readonly Placed[]) => list.map((p) => p.entry.event.text);

Deno.test("ordered ring: entries in any order keep what entries in order keep", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.nat({ max: 30 }),
          fc.constantFrom("a", "b", "c"),
          fc.nat({ max: 40 }),
        ),
        { maxLength: 60 },
      ),
      fc.nat({ max: 12 }),
      fc.nat({ max: 200 }),
      fc.func(fc.boolean()),
      (raw, maxItems, maxBytes, swap) => {
        const all = raw.map(([t, o, size], n) => placed(t, o, size, n));
        // Each origin's entries keep their order; origins interleave freely.
        const byOrigin = ["a", "b", "c"].map((o) =>
          all.filter((p) => p.origin === o)
        );
        const arrival: Placed[] = [];
        while (byOrigin.some((l) => l.length > 0)) {
          const from = byOrigin.filter((l) => l.length > 0);
          const pick = from[swap(arrival.length) ? 0 : from.length - 1]!;
          arrival.push(pick.shift()!);
        }
        const bounds = { maxItems, maxBytes };
        const shuffled = new OrderedRing(bounds);
        for (const p of arrival) shuffled.insert(p);
        const sorted = new OrderedRing(bounds);
        const core = new HistoryRing<Placed>(bounds);
        for (const p of inOrder(all)) {
          sorted.insert(p);
          core.push(p, p.size);
        }
        assert.deepEqual(texts(shuffled.items()), texts(sorted.items()));
        assert.deepEqual(texts(sorted.items()), texts(core.items()));
      },
    ),
    { numRuns: 500 },
  );
});
