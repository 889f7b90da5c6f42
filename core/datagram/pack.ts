/**
 * Packing for the datagram transport (UDP), sans-IO: frames or text lines
 * into as few datagrams as the size limit allows, and frames made to fit
 * (member lists cut short, events that cannot fit replaced by an error,
 * error answers never longer than what they answer).
 *
 * @module
 */

import { utf8Length } from "../_bytes.ts";
import { encodeFrame } from "../codec/mod.ts";
import type { ErrorCodeName } from "../errors.ts";
import type { Outgoing } from "../peer.ts";

/**
 * Pack frames into datagrams of at most `size` bytes, in order, as few as
 * possible. Each datagram starts with `head(i)` (`i`: index of its first
 * frame), then `lead` in the first datagram only, then whole frames. When
 * the first frame does not fit beside the lead, the lead goes alone.
 *
 * @param frames Frames, each small enough to fit a datagram with its head.
 * @param size Largest datagram.
 * @param head The leading bytes of a datagram whose first frame is `i`;
 *   copied before `head` is called again, so it may rewrite one buffer.
 * @param lead Bytes for the first datagram only (an ACK, a TOKEN).
 * @returns The datagrams; one (head and lead only) when `frames` is empty.
 * @throws {RangeError} When a frame cannot fit.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f = new Uint8Array(400);
 * const out = packFrames([f, f, f], 1000, () => new Uint8Array(10));
 * assert.deepEqual(out.map((d) => d.length), [810, 410]);
 * ```
 */
export function packFrames(
  frames: readonly Uint8Array[],
  size: number,
  head: (first: number) => Uint8Array,
  lead: Uint8Array = new Uint8Array(0),
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  do {
    const h = head(i);
    const l = out.length === 0 ? lead : undefined;
    let length = h.length + (l?.length ?? 0);
    let j = i;
    while (j < frames.length && length + frames[j]!.length <= size) {
      length += frames[j]!.length;
      j++;
    }
    if (j === i && i < frames.length && l === undefined) {
      throw new RangeError(
        `Cannot pack frame: ${
          frames[i]!.length
        } bytes do not fit a ${size}-byte datagram`,
      );
    }
    const d = new Uint8Array(length);
    d.set(h);
    let at = h.length;
    if (l) {
      d.set(l, at);
      at += l.length;
    }
    for (let k = i; k < j; k++) {
      d.set(frames[k]!, at);
      at += frames[k]!.length;
    }
    out.push(d);
    i = j;
  } while (i < frames.length);
  return out;
}

/**
 * Pack text lines into datagrams of at most `size` bytes. A line longer than
 * a datagram is split, at a UTF-8 character boundary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = new TextEncoder().encode("hello\n");
 * assert.deepEqual(packLines([line, line], 8).map((d) => d.length), [6, 6]);
 * ```
 */
export function packLines(
  lines: readonly Uint8Array[],
  size: number,
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const line of lines) {
    let at = 0;
    while (line.length - at > size) {
      let cut = at + size;
      while (cut > at && ((line[cut] ?? 0) & 0xc0) === 0x80) cut--;
      if (cut === at) cut = at + size;
      parts.push(line.subarray(at, cut));
      at = cut;
    }
    parts.push(line.subarray(at));
  }
  return parts.length === 0 ? [] : packFrames(parts, size, () => EMPTY);
}

const EMPTY = new Uint8Array(0);

/**
 * An ERROR frame that is at most `limit` bytes long, its message cut short
 * (at a character boundary) to fit; undefined when not even an empty
 * message fits. Used to answer a datagram with no more bytes than it had.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = boundedError("BAD_TOKEN", "Cannot accept datagram: wrong token", 20, true);
 * assert.equal(e?.length, 20);
 * assert.equal(boundedError("BAD_TOKEN", "x", 10, true), undefined);
 * ```
 */
export function boundedError(
  code: ErrorCodeName,
  message: string,
  limit: number,
  fatal: boolean,
): Uint8Array | undefined {
  const full = encodeFrame({ type: "error", code, message, fatal });
  if (full.length <= limit) return full;
  const room = limit - (full.length - utf8Length(message));
  if (room < 0) return undefined;
  let text = "";
  let used = 0;
  for (const c of message) {
    used += utf8Length(c);
    if (used > room) break;
    text += c;
  }
  return encodeFrame({ type: "error", code, message: text, fatal });
}

/**
 * The frame to put in a datagram for an event, given the room left after
 * the datagram's head: the shared binary frame when it fits; a member list
 * (WELCOME, MEMBERS) cut short to fit (its `total` stays exact); otherwise
 * a non-fatal ERROR `DATAGRAM_TOO_LARGE` saying what could not be delivered.
 *
 * @param out The event.
 * @param room Most bytes the frame may take.
 * @param size The datagram size, for the error text.
 * @returns The frame.
 */
export function fitFrame(
  out: Outgoing,
  room: number,
  size: number,
): Uint8Array {
  const bytes = out.binary();
  if (bytes.length <= room) return bytes;
  const event = out.event;
  if (event.type === "welcome" || event.type === "members") {
    const base = encodeFrame({ ...event, members: [] }).length;
    let used = base;
    let n = 0;
    for (const m of event.members) {
      const cost = 2 + utf8Length(m);
      if (used + cost > room) break;
      used += cost;
      n++;
    }
    if (base <= room) {
      return encodeFrame({ ...event, members: event.members.slice(0, n) });
    }
  }
  const what = event.type === "message"
    ? `a message from ${event.from}`
    : event.type === "announcement"
    ? "an announcement"
    : `a ${event.type} event`;
  const error = boundedError(
    "DATAGRAM_TOO_LARGE",
    `Cannot deliver ${what}: ${bytes.length} bytes do not fit a ${size}-byte datagram`,
    room,
    false,
  );
  if (error === undefined) {
    throw new RangeError(`Cannot fit any frame in ${room} bytes`);
  }
  return error;
}
