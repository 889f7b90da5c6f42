/**
 * Several events as one unit, for transports that send a member the events
 * of one event-loop turn together: their binary frames back to back (one
 * message of the WebSocket binary subprotocol), or a JSON array (one message
 * of the batched JSON subprotocol).
 *
 * Members of a room receive the same shared events ({@link Outgoing}) in the
 * same order, so in one turn most members' batches hold the very same
 * events: the first batch is encoded and the next ones made of the same
 * events (compared by identity, event by event) get its result, as
 * core/outbox.ts does for stream writes. The per-member cost of a turn is
 * then one comparison per event instead of one encoding. The last
 * {@link BATCH_SLOTS} batches of each kind are kept, so a turn sent in
 * several messages (a part of the events each) is shared too.
 *
 * @module
 */

import type { Outgoing } from "./peer.ts";

/** Batches of each kind kept for the next members. */
export const BATCH_SLOTS = 8;

interface Kept<T> {
  readonly outs: readonly Outgoing[];
  readonly value: T;
}

/** The last few batches made of one kind, looked up by their events. */
class Recent<T> {
  readonly #slots: (Kept<T> | undefined)[] = new Array(BATCH_SLOTS);
  #next = 0;

  find(outs: readonly Outgoing[], from: number, to: number): T | undefined {
    const n = to - from, first = outs[from];
    for (const kept of this.#slots) {
      if (kept === undefined) continue;
      const k = kept.outs;
      if (k.length !== n || k[0] !== first) continue;
      let i = 1;
      while (i < n && k[i] === outs[from + i]) i++;
      if (i === n) return kept.value;
    }
    return undefined;
  }

  keep(outs: readonly Outgoing[], from: number, to: number, value: T): void {
    this.#slots[this.#next] = { outs: outs.slice(from, to), value };
    this.#next = (this.#next + 1) % BATCH_SLOTS;
  }
}

const frames = new Recent<Uint8Array>();
const arrays = new Recent<string>();

/**
 * The binary frames of events `from` to `to - 1`, back to back
 * (docs/protocol.md), as one buffer: the event's own frame for one event,
 * otherwise a buffer made for the same events before, if still kept. The
 * buffer is shared: it must not be changed.
 *
 * @param outs The events, in order.
 * @param from The first event (default: 0).
 * @param to After the last event (default: all).
 * @returns The bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "./peer.ts";
 * const a = new Outgoing({ type: "joined", room: "lobby", name: "amy" });
 * const b = new Outgoing({ type: "pong", nonce: 7 });
 * const bytes = batchFrames([a, b]);
 * assert.equal(bytes.length, a.binary().length + b.binary().length);
 * assert.equal(batchFrames([a, b]), bytes); // the same events: shared
 * assert.equal(batchFrames([a, b], 1), b.binary());
 * ```
 */
export function batchFrames(
  outs: readonly Outgoing[],
  from = 0,
  to: number = outs.length,
): Uint8Array {
  if (to - from === 1) return outs[from]!.binary();
  const kept = frames.find(outs, from, to);
  if (kept !== undefined) return kept;
  let size = 0;
  for (let i = from; i < to; i++) size += outs[i]!.binary().length;
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = from; i < to; i++) {
    const b = outs[i]!.binary();
    out.set(b, at);
    at += b.length;
  }
  frames.keep(outs, from, to, out);
  return out;
}

/**
 * The JSON objects of events `from` to `to - 1` as one JSON array (each
 * object as {@link Outgoing.json} gives it), a string made for the same
 * events before, if still kept.
 *
 * @param outs The events, in order.
 * @param from The first event (default: 0).
 * @param to After the last event (default: all).
 * @returns `[{...},{...}]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "./peer.ts";
 * const a = new Outgoing({ type: "pong", nonce: 1 });
 * const b = new Outgoing({ type: "pong", nonce: 2 });
 * assert.equal(batchJson([a, b]), '[{"type":"pong","nonce":1},{"type":"pong","nonce":2}]');
 * ```
 */
export function batchJson(
  outs: readonly Outgoing[],
  from = 0,
  to: number = outs.length,
): string {
  const kept = arrays.find(outs, from, to);
  if (kept !== undefined) return kept;
  let text = "[";
  for (let i = from; i < to; i++) {
    if (i > from) text += ",";
    text += outs[i]!.json();
  }
  text += "]";
  arrays.keep(outs, from, to, text);
  return text;
}
