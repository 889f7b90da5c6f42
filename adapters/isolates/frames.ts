/**
 * Room events as they cross isolates: binary frames (docs/protocol.md),
 * one after the other in a message, each handed to the chat with its own
 * bytes so that binary members get it without encoding it again.
 *
 * @module
 */

import { decodeFrame, HEADER_SIZE } from "../../core/codec/mod.ts";
import type { RoomEvent } from "../../core/events.ts";
import { Outgoing } from "../../core/peer.ts";

/** Largest frame taken from another isolate. */
const MAX_REMOTE_FRAME = 1 << 20;

/**
 * The frames of a message, each a view of its bytes. Bytes after the last
 * whole frame are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "../../core/codec/mod.ts";
 * const a = encodeFrame({ type: "joined", room: "r", name: "a" });
 * const both = new Uint8Array([...a, ...a]);
 * assert.equal(splitFrames(both).length, 2);
 * ```
 */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (bytes.length - at >= HEADER_SIZE) {
    const size = HEADER_SIZE + view.getUint32(at + 2);
    if (bytes.length - at < size) break;
    frames.push(bytes.subarray(at, at + size));
    at += size;
  }
  return frames;
}

/**
 * Frames one after the other in one buffer, as one message carries them.
 *
 * @param parts The frames.
 * @param size Their total length.
 */
export function joinFrames(
  parts: readonly Uint8Array[],
  size: number,
): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A room event from its frame, ready to fan out with those bytes; a
 * string saying what is wrong when it is not one. A `left` with a reason
 * this version does not know reads `disconnect` to text and JSON members
 * (binary members get the frame as it came).
 */
export function roomEventOf(
  frame: Uint8Array,
): { event: RoomEvent; out: Outgoing } | string {
  let decoded;
  try {
    decoded = decodeFrame(frame, { maxFrameSize: MAX_REMOTE_FRAME });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  switch (decoded.type) {
    case "left": {
      if (decoded.reason !== "unknown") {
        return { event: decoded, out: new Outgoing(decoded, frame) };
      }
      const { reasonNumber: _, ...left } = decoded;
      const known = { ...left, reason: "disconnect" } as const;
      return { event: known, out: new Outgoing(known, frame) };
    }
    case "joined":
    case "message":
    case "announcement":
      return { event: decoded, out: new Outgoing(decoded, frame) };
    default:
      return `frame type ${decoded.type} is not a room event`;
  }
}

/**
 * The event with a frame of its own: a frame that is a view of a larger
 * message (several events posted at once) is copied, so that keeping it
 * (in a room's history) does not keep the whole message.
 *
 * @param out An event from another isolate.
 * @returns It, or the same event with a copy of its frame.
 */
export function ownFrame(out: Outgoing): Outgoing {
  const frame = out.binary();
  if (frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength) {
    return out;
  }
  return new Outgoing(out.event, frame.slice());
}
