/**
 * The sending side's memory for the isolates' bus: the last messages it
 * posted, so that a receiver that lost some (adapters/isolates/inbox.ts)
 * can have them again. Bounded in messages and bytes.
 *
 * @module
 */

import type { Wire } from "./inbox.ts";

/** Messages kept for resending. */
const MAX_KEPT = 4096;
/** Bytes of events kept for resending. */
const MAX_KEPT_BYTES = 16 << 20;
/** Most bytes of events resent in one message. */
const MAX_PART_BYTES = 1 << 20;
/** What a message without frames counts for. */
const OTHER_BYTES = 256;

/** One message of resent messages. */
export interface ResendPart {
  /** The messages. */
  m: Wire[];
  /** The first number still kept (lower ones are lost), the same in every part. */
  from: number;
}

/**
 * The last messages posted, by number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ring = new ResendRing();
 * for (let s = 0; s < 3; s++) ring.keep({ f: "a", s, k: "m" });
 * assert.deepEqual(ring.resend(1, 2)[0]?.m.map((w) => w.s), [1, 2]);
 * ```
 */
export class ResendRing {
  #kept: Wire[] = [];
  #bytes = 0;

  /** Keep a message just posted (numbers increase by one). */
  keep(w: Wire): void {
    this.#kept.push(w);
    this.#bytes += size(w);
    while (this.#kept.length > MAX_KEPT || this.#bytes > MAX_KEPT_BYTES) {
      this.#bytes -= size(this.#kept.shift()!);
    }
  }

  /**
   * The messages numbered `lo` to `hi` still kept, in parts of at most a
   * MiB of frames; `from` says where what is kept starts.
   */
  resend(lo: number, hi: number): ResendPart[] {
    const kept = this.#kept;
    const first = kept[0]?.s ?? hi + 1;
    const from = Math.max(lo, first);
    const parts: ResendPart[] = [];
    let part: ResendPart = { m: [], from };
    let bytes = 0;
    for (let s = from; s <= hi; s++) {
      const w = kept[s - first];
      if (w === undefined) break;
      if (bytes + size(w) > MAX_PART_BYTES && part.m.length > 0) {
        parts.push(part);
        part = { m: [], from };
        bytes = 0;
      }
      part.m.push(w);
      bytes += size(w);
    }
    parts.push(part);
    return parts;
  }
}

function size(w: Wire): number {
  return w.b?.length ?? OTHER_BYTES;
}
