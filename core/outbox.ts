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

function sameChunks(
  a: readonly Uint8Array[],
  b: readonly Uint8Array[],
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

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
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #inFlight = 0;

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
    this.#chunks.push(chunk);
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
    if (chunks.length === 0) return undefined;
    let out: Uint8Array;
    if (chunks.length === 1) {
      out = chunks[0]!;
    } else if (lastJoined !== undefined && sameChunks(chunks, lastChunks)) {
      out = lastJoined; // another member's identical turn: share its bytes
    } else {
      out = new Uint8Array(this.#queued);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      lastChunks = chunks;
      lastJoined = out;
    }
    this.#chunks = [];
    this.#inFlight += this.#queued;
    this.#queued = 0;
    return out;
  }

  /** The write of everything taken so far has finished. */
  written(): void {
    this.#inFlight = 0;
  }

  /** Drop everything (the connection is gone). */
  clear(): void {
    this.#chunks = [];
    this.#queued = 0;
    this.#inFlight = 0;
  }
}
