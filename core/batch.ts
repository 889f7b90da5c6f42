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
 * then one comparison per event instead of one encoding.
 *
 * @module
 */

import type { Outgoing } from "./peer.ts";

// The last batch of each kind and the events it was made of.
let framesOf: readonly Outgoing[] = [];
let frames: Uint8Array | undefined;
let jsonOf: readonly Outgoing[] = [];
let json: string | undefined;

/** Whether `a` holds exactly the events of `b`, in order. */
function same(a: readonly Outgoing[], b: readonly Outgoing[]): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The binary frames of events, back to back (docs/protocol.md), as one
 * buffer: the event's own frame for one event, otherwise the buffer of the
 * previous call when it was made of the same events. The buffer is shared:
 * it must not be changed.
 *
 * @param outs The events, in order (at least one).
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
 * ```
 */
export function batchFrames(outs: readonly Outgoing[]): Uint8Array {
  const n = outs.length;
  if (n === 1) return outs[0]!.binary();
  if (frames !== undefined && same(outs, framesOf)) return frames;
  let size = 0;
  for (let i = 0; i < n; i++) size += outs[i]!.binary().length;
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const b = outs[i]!.binary();
    out.set(b, at);
    at += b.length;
  }
  framesOf = outs.slice();
  frames = out;
  return out;
}

/**
 * The JSON objects of events as one JSON array (each object as
 * {@link Outgoing.json} gives it), the string of the previous call when it
 * was made of the same events.
 *
 * @param outs The events, in order.
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
export function batchJson(outs: readonly Outgoing[]): string {
  if (json !== undefined && same(outs, jsonOf)) return json;
  const n = outs.length;
  let text = "[";
  for (let i = 0; i < n; i++) {
    if (i > 0) text += ",";
    text += outs[i]!.json();
  }
  text += "]";
  jsonOf = outs.slice();
  json = text;
  return text;
}
