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
