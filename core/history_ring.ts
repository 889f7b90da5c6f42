/**
 * A ring of the latest items, bounded twice: by count and by bytes. It keeps
 * the longest run of the newest items that fits both bounds, oldest first.
 * A room's history (core/history.ts) and a member's sent events
 * (core/sent_log.ts) are such rings; the items are shared objects, so
 * keeping one costs a reference, and the byte size is what the caller says
 * it is (no item is encoded to be measured).
 *
 * @module
 */

/** Bounds of a {@link HistoryRing}. */
export interface RingBounds {
  /** Most items kept; 0 keeps none. */
  readonly maxItems: number;
  /** Most bytes kept, by the sizes given to {@link HistoryRing.push}. */
  readonly maxBytes: number;
}

/**
 * The newest items that fit a count and a byte bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ring = new HistoryRing<string>({ maxItems: 3, maxBytes: 10 });
 * for (const s of ["aaaa", "bb", "cc", "ddd"]) ring.push(s, s.length);
 * assert.deepEqual(ring.items(), ["bb", "cc", "ddd"]);
 * ring.push("eeeeeeee", 8); // nothing older fits beside it
 * assert.deepEqual(ring.items(), ["eeeeeeee"]);
 * assert.equal(ring.dropped, 4);
 * ```
 */
export class HistoryRing<T> {
  readonly #maxItems: number;
  readonly #maxBytes: number;
  // Slots [#head, #items.length) hold the items, oldest first.
  #items: T[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;

  /**
   * Create a new instance.
   * @param bounds Most items and most bytes.
   * @throws {RangeError} When a bound is not a whole number >= 0.
   */
  constructor(bounds: RingBounds) {
    for (const [what, n] of Object.entries(bounds)) {
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(
          `Cannot bound a ring: ${what} ${n} is not a whole number >= 0`,
        );
      }
    }
    this.#maxItems = bounds.maxItems;
    this.#maxBytes = bounds.maxBytes;
  }

  /** Items kept. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes kept. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Items pushed and since dropped (or never kept), in all. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Keep an item as the newest, dropping the oldest until both bounds hold.
   * An item larger than the byte bound is not kept (nor is anything older).
   *
   * @param item The item (kept by reference).
   * @param size Its size in bytes.
   */
  push(item: T, size: number): void {
    if (this.#maxItems === 0 || size > this.#maxBytes) {
      this.#dropped += this.length + 1;
      this.clear();
      return;
    }
    this.#items.push(item);
    this.#sizes.push(size);
    this.#bytes += size;
    while (
      this.length > this.#maxItems || this.#bytes > this.#maxBytes
    ) this.#shift();
    if (this.#head > 32 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The items kept, oldest first (a copy).
   *
   * @param from Skip this many of the oldest.
   */
  items(from = 0): T[] {
    return this.#items.slice(this.#head + Math.max(0, from));
  }

  /** Forget every item (they do not count as dropped). */
  clear(): void {
    this.#items = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #shift(): void {
    this.#bytes -= this.#sizes[this.#head]!;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    this.#dropped++;
  }
}
