/**
 * Encoding: the payload layout of each frame type, written after its header.
 * MESSAGE, the frame of every fan-out, has its own direct path.
 *
 * @module
 */

import { ByteWriter, putField, utf8, utf8Length } from "../_bytes.ts";
import { encodeDatagramFrame } from "../datagram/frames.ts";
import { ErrorCode } from "../errors.ts";
import { LeaveReason } from "../events.ts";
import type { Frame } from "./frame.ts";
import { FrameType, HEADER_SIZE, MAGIC } from "./header.ts";

/** Largest string field: its length prefix is a u16. */
export const MAX_FIELD_BYTES = 0xffff;

/** Byte budget for member lists so WELCOME and MEMBERS stay small. */
const MEMBER_LIST_BUDGET = 16 * 1024;

/**
 * Encode one frame.
 *
 * @param frame The frame to encode.
 * @returns Header and payload in one buffer.
 * @throws {RangeError} When a string field is longer than 65535 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeFrame({ type: "say", text: "hi" });
 * assert.deepEqual([...bytes], [0xab, 0x03, 0, 0, 0, 4, 0, 2, 0x68, 0x69]);
 * ```
 */
export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.type) {
    case "hello": {
      const s = field(frame.software);
      return frameOf(FrameType.HELLO, 2 + 2 + s.length).u16(frame.version)
        .str(s).bytes;
    }
    case "join": {
      const r = field(frame.room), n = field(frame.name);
      return frameOf(FrameType.JOIN, 4 + r.length + n.length).str(r).str(n)
        .bytes;
    }
    case "say": {
      const t = field(frame.text);
      return frameOf(FrameType.SAY, 2 + t.length).str(t).bytes;
    }
    case "who": {
      const r = field(frame.room);
      return frameOf(FrameType.WHO, 2 + r.length).str(r).bytes;
    }
    case "leave":
      return frameOf(FrameType.LEAVE, 0).bytes;
    case "ping":
      return frameOf(FrameType.PING, 4).u32(frame.nonce).bytes;
    case "resume": {
      const t = field(frame.token);
      return frameOf(FrameType.RESUME, 2 + t.length + 4).str(t)
        .u32(frame.seen).bytes;
    }
    case "recall":
      return frameOf(FrameType.RECALL, 0).bytes;
    case "hello_ok": {
      const s = field(frame.software);
      return frameOf(FrameType.HELLO_OK, 2 + 2 + s.length + 8)
        .u16(frame.version).str(s).u32(frame.maxFrame).u32(frame.maxMessage)
        .bytes;
    }
    case "welcome": {
      const r = field(frame.room), n = field(frame.name);
      const list = memberList(frame.members);
      // Version 2: the resume fields follow the member list.
      const resume = frame.resume;
      const t = resume === undefined ? undefined : field(resume.token);
      const w = frameOf(
        FrameType.WELCOME,
        4 + r.length + n.length + 6 + list.bytes +
          (t === undefined ? 0 : 2 + t.length + 12),
      ).str(r).str(n).u32(frame.total).u16(list.count);
      putMembers(w, frame.members, list.count);
      if (resume !== undefined && t !== undefined) {
        w.str(t).u32(resume.graceMs).u32(resume.seq).u32(resume.lost);
      }
      return w.bytes;
    }
    case "members": {
      const r = field(frame.room);
      const list = memberList(frame.members);
      const w = frameOf(FrameType.MEMBERS, 2 + r.length + 6 + list.bytes)
        .str(r).u32(frame.total).u16(list.count);
      putMembers(w, frame.members, list.count);
      return w.bytes;
    }
    case "joined": {
      const r = field(frame.room), n = field(frame.name);
      return frameOf(FrameType.JOINED, 4 + r.length + n.length).str(r).str(n)
        .bytes;
    }
    case "left": {
      const r = field(frame.room), n = field(frame.name);
      const why = frame.reason === "unknown"
        ? wireNumber(frame.reasonNumber, 0xff, "LEFT reason")
        : LeaveReason[frame.reason];
      return frameOf(FrameType.LEFT, 5 + r.length + n.length).str(r).str(n)
        .u8(why).bytes;
    }
    case "message":
      return encodeMessage(frame.room, frame.from, frame.text);
    case "announcement": {
      const r = field(frame.room ?? ""), t = field(frame.text);
      return frameOf(FrameType.ANNOUNCEMENT, 4 + r.length + t.length).str(r)
        .str(t).bytes;
    }
    case "error": {
      const m = field(frame.message);
      const code = frame.code === "UNKNOWN"
        ? wireNumber(frame.codeNumber, 0xffff, "ERROR code")
        : ErrorCode[frame.code];
      return frameOf(FrameType.ERROR, 5 + m.length).u16(code)
        .u8(frame.fatal ? 1 : 0).str(m).bytes;
    }
    case "pong":
      return frameOf(FrameType.PONG, 4).u32(frame.nonce).bytes;
    case "history":
      return encodeHistory(frame.time, encodeFrame(frame.event));
    case "envelope":
    case "pad":
    case "token":
    case "ack":
    case "seq":
      return encodeDatagramFrame(frame);
  }
}

/**
 * A HISTORY frame around the frame of the message or announcement it
 * carries, given already encoded (a fan-out's shared bytes are reused, not
 * encoded again).
 *
 * @param time When it was said, in ms since the Unix epoch.
 * @param inner The whole MESSAGE or ANNOUNCEMENT frame.
 * @returns Header and payload in one buffer.
 * @throws {RangeError} When `time` is not a whole number within 0..2^53 - 1.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const inner = encodeFrame({ type: "announcement", room: null, text: "hi" });
 * const frame = encodeHistory(1, inner);
 * assert.deepEqual([...frame.subarray(0, 14)], [0xab, 0x8a, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 1]);
 * assert.deepEqual(frame.subarray(14), inner);
 * ```
 */
export function encodeHistory(time: number, inner: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new RangeError(
      `Cannot encode HISTORY time: ${time} is not a whole number of ms >= 0`,
    );
  }
  return frameOf(FrameType.HISTORY, 8 + inner.length).u64(time).raw(inner)
    .bytes;
}

/**
 * The wire number of an unknown code or reason (decoded from a newer peer),
 * sent on as it came so that a relay loses nothing.
 */
function wireNumber(n: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(
      `Cannot encode ${what}: ${n} is not a wire number (0-${max})`,
    );
  }
  return n;
}

/**
 * MESSAGE, the frame of every fan-out, written straight into one buffer: no
 * intermediate arrays, and ASCII strings copied without a TextEncoder call.
 * Same bytes as the generic path.
 */
function encodeMessage(room: string, from: string, text: string): Uint8Array {
  const r = fieldSize(room), f = fieldSize(from), t = fieldSize(text);
  const payload = 6 + r + f + t;
  const b = new Uint8Array(HEADER_SIZE + payload);
  b[0] = MAGIC;
  b[1] = FrameType.MESSAGE;
  b[2] = payload >>> 24;
  b[3] = (payload >>> 16) & 0xff;
  b[4] = (payload >>> 8) & 0xff;
  b[5] = payload & 0xff;
  putField(
    b,
    putField(b, putField(b, HEADER_SIZE, room, r), from, f),
    text,
    t,
  );
  return b;
}

/** UTF-8 length of a field, as TextEncoder encodes it (lone surrogates: 3). */
function fieldSize(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (
      c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  if (n > MAX_FIELD_BYTES) {
    throw new RangeError(
      `Cannot encode field: ${n} bytes exceeds ${MAX_FIELD_BYTES}`,
    );
  }
  return n;
}

function field(s: string): Uint8Array {
  const b = utf8(s);
  if (b.length > MAX_FIELD_BYTES) {
    throw new RangeError(
      `Cannot encode field: ${b.length} bytes exceeds ${MAX_FIELD_BYTES}`,
    );
  }
  return b;
}

function frameOf(type: FrameType, payload: number): ByteWriter {
  return new ByteWriter(HEADER_SIZE + payload).u8(MAGIC).u8(type).u32(payload);
}

/**
 * How many of `members` fit a member list's byte budget, and their bytes
 * (length prefixes included); sizes only, nothing encoded yet.
 */
function memberList(
  members: readonly string[],
): { count: number; bytes: number } {
  let count = 0, bytes = 0;
  for (const m of members) {
    const n = fieldSize(m);
    if (bytes + 2 + n > MEMBER_LIST_BUDGET || count === 0xffff) break;
    count++;
    bytes += 2 + n;
  }
  return { count, bytes };
}

/** Write the first `count` members, as {@link memberList} counted them. */
function putMembers(
  w: ByteWriter,
  members: readonly string[],
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    const m = members[i]!;
    w.text(m, utf8Length(m));
  }
}
