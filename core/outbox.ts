/**
 * A bounded outbound byte queue for one connection: pushes are cheap, and a
 * transport takes everything pending as one buffer, so it writes once per
 * event-loop turn however many events arrived. Sans-IO: the transport does
 * the writing and tells the outbox when a write finished.
 *
 * @module
 */

/** Default outbound limit per connection: 1 MiB, queued plus in flight. */
export const DEFAULT_OUTBOUND_BYTES = 1024 * 1024;

/**
 * The last buffer that {@link Outbox.take} joined, and the chunks it was
 * joined from. Members of a room receive the same shared events in the same
 * order, so in one event-loop turn most outboxes hold the very same chunks:
 * the first one joins them and the others reuse its buffer (compared by
 * identity, chunk by chunk), making the per-member cost of a turn's writes
 * one comparison per event instead of one copy. Chunks are immutable once
 * queued, so the shared buffer is too.
 */
let lastChunks: readonly Uint8Array[] = [];
let lastJoined: Uint8Array | undefined;

/** Whether the first `n` chunks of `a` are exactly the chunks of `b`. */
function sameChunks(
  a: readonly (Uint8Array | undefined)[],
  n: number,
  b: readonly Uint8Array[],
): boolean {
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Chunk slots an outbox keeps between turns. Pushing into a kept array is
 * cheaper than growing a new one every turn: at 1,000 members a member's
 * queue holds a few thousand events while its reader catches up, and
 * growing those arrays anew every turn was most of what the server
 * allocated (docs/performance.md). A turn that queued more than this gives
 * its array back; {@link Outbox.trim} gives back the slots of an idle one.
 */
const KEEP_SLOTS = 16384;

/**
 * Chunk slots an idle outbox keeps when {@link Outbox.trim} is called.
 * After a burst (a join storm), thousands of idle members would otherwise
 * each hold hundreds of slots.
 */
const IDLE_SLOTS = 16;

/**
 * Outbound queue with a byte limit that counts both queued bytes and the
 * bytes of the write in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const box = new Outbox(8);
 * assert.equal(box.push(new Uint8Array([1, 2, 3])), true);
 * assert.equal(box.push(new Uint8Array([4, 5])), true);
 * assert.deepEqual([...box.take()!], [1, 2, 3, 4, 5]);
 * assert.equal(box.push(new Uint8Array(4)), false); // 5 in flight + 4 > 8
 * box.written();
 * assert.equal(box.push(new Uint8Array(4)), true);
 * ```
 */
export class Outbox {
  /** The byte limit. */
  readonly limit: number;
  // Slots [0, #count) hold the queued chunks; the array is reused.
  #chunks: (Uint8Array | undefined)[] = [];
  #count = 0;
  #queued = 0;
  #inFlight = 0;
  // Whether anything was pushed since the last trim().
  #used = false;

  /**
   * Create a new instance.
   * @param limit Most bytes held, queued plus in flight.
   */
  constructor(limit: number = DEFAULT_OUTBOUND_BYTES) {
    this.limit = limit;
  }

  /** Bytes queued and not yet taken. */
  get queued(): number {
    return this.#queued;
  }

  /** Chunk slots kept for the next pushes (queued ones included). */
  get slots(): number {
    return this.#chunks.length;
  }

  /** Bytes taken and not yet reported written. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Queue bytes. The chunk is kept by reference (it is usually shared with
   * other recipients), so it must not be changed afterwards.
   *
   * @returns False, queuing nothing, when the limit would be passed.
   */
  push(chunk: Uint8Array): boolean {
    if (this.#queued + this.#inFlight + chunk.length > this.limit) return false;
    this.#chunks[this.#count++] = chunk;
    this.#used = true;
    this.#queued += chunk.length;
    return true;
  }

  /**
   * Take everything queued as one buffer (the chunk itself when only one is
   * queued, or a buffer shared with another outbox that held the very same
   * chunks), and count it in flight until {@link Outbox.written}. The buffer
   * must not be changed.
   *
   * @returns The bytes, or undefined when nothing is queued.
   */
  take(): Uint8Array | undefined {
    const chunks = this.#chunks;
    const n = this.#count;
    if (n === 0) return undefined;
    let out: Uint8Array;
    if (n === 1) {
      out = chunks[0]!;
    } else if (lastJoined !== undefined && sameChunks(chunks, n, lastChunks)) {
      out = lastJoined; // another member's identical turn: share its bytes
    } else {
      out = new Uint8Array(this.#queued);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const c = chunks[i]!;
        out.set(c, at);
        at += c.length;
      }
      lastChunks = chunks.slice(0, n) as Uint8Array[];
      lastJoined = out;
    }
    this.#release(n);
    this.#inFlight += this.#queued;
    this.#queued = 0;
    return out;
  }

  /** The write of everything taken so far has finished. */
  written(): void {
    this.#inFlight = 0;
  }

  /**
   * Give back a large slot array if nothing was queued since the last
   * call. A transport calls this from time to time (every second, say), so
   * members that went quiet give back the slots of their last burst while
   * busy members keep theirs.
   */
  trim(): void {
    if (this.#used) {
      this.#used = false;
    } else if (this.#count === 0 && this.#chunks.length > IDLE_SLOTS) {
      this.#chunks = [];
    }
  }

  /** Drop everything (the connection is gone). */
  clear(): void {
    this.#release(this.#count);
    this.#queued = 0;
    this.#inFlight = 0;
  }

  /**
   * Empty the slots (keeping no chunk alive), keeping the array unless it
   * is very large. A plain loop: `Array.prototype.fill` allocated on every
   * call here.
   */
  #release(n: number): void {
    const chunks = this.#chunks;
    if (n > KEEP_SLOTS) this.#chunks = [];
    else for (let i = 0; i < n; i++) chunks[i] = undefined;
    this.#count = 0;
  }
}
