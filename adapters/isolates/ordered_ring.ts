/**
 * One room's history in an isolate's copy (adapters/isolates/history.ts):
 * the newest entries that fit a count and a byte bound, as core's
 * HistoryRing keeps them, but in one order that every isolate agrees on,
 * whatever order the entries reached it in: by the time each was said (its
 * sender's stamp), then by the isolate that said it, then as that isolate
 * said them. Two entries said at the same moment on two isolates reach
 * each isolate in a different order; each copy puts them in the same place,
 * and keeps the same newest ones.
 *
 * @module
 */

import type { HistoryEntry } from "../../core/history.ts";
import type { RingBounds } from "../../core/history_ring.ts";

/** An entry, its size, and the isolate that said it. */
export interface Placed {
  /** The entry. */
  readonly entry: HistoryEntry;
  /** Its size against the byte bound. */
  readonly size: number;
  /** The isolate where it was said. */
  readonly origin: string;
}

/**
 * The newest entries within two bounds, in the agreed order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ring = new OrderedRing({ maxItems: 2, maxBytes: 100 });
 * const at = (time: number, text: string) =>
 *   ({ time, event: { type: "announcement", room: null, text } }) as const;
 * ring.insert({ entry: at(3, "c"), size: 1, origin: "b" });
 * ring.insert({ entry: at(1, "a"), size: 1, origin: "a" });
 * ring.insert({ entry: at(2, "b"), size: 1, origin: "a" });
 * assert.deepEqual(ring.items().map((p) => p.entry.event.text), ["b", "c"]);
 * ```
 */
export class OrderedRing {
  readonly #maxItems: number;
  readonly #maxBytes: number;
  // Slots [#head, #items.length) hold the entries, oldest first.
  #items: Placed[] = [];
  #head = 0;
  #bytes = 0;
  /** The newest entry dropped: nothing older can be kept any more. */
  #floor: Placed | undefined;

  /** @param bounds Most entries and most bytes. */
  constructor(bounds: RingBounds) {
    this.#maxItems = bounds.maxItems;
    this.#maxBytes = bounds.maxBytes;
  }

  /** Entries kept. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Put an entry in its place (almost always the end), then drop the
   * oldest until both bounds hold: what is left is the longest run of the
   * newest entries that fits, as if they had all come in order.
   */
  insert(p: Placed): void {
    if (this.#maxItems === 0) return;
    // Had it come in order, it would have gone before this one did.
    if (this.#floor !== undefined && before(p, this.#floor)) return;
    const items = this.#items;
    let at = items.length;
    while (at > this.#head && before(p, items[at - 1]!)) at--;
    if (at === items.length) items.push(p);
    else items.splice(at, 0, p);
    this.#bytes += p.size;
    while (
      this.length > 0 &&
      (this.length > this.#maxItems || this.#bytes > this.#maxBytes)
    ) {
      this.#floor = items[this.#head]!;
      this.#bytes -= this.#floor.size;
      items[this.#head] = undefined as unknown as Placed;
      this.#head++;
    }
    if (this.#head > 32 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The entries kept, oldest first (a copy). */
  items(): Placed[] {
    return this.#items.slice(this.#head);
  }
}

/** Whether `a` goes before `b`: said earlier, or at once by an isolate of a smaller id. */
function before(a: Placed, b: Placed): boolean {
  const ta = a.entry.time, tb = b.entry.time;
  return ta < tb || (ta === tb && a.origin < b.origin);
}
