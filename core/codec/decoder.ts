/**
 * The binary wire protocol: frames with a fixed 6-byte big-endian header
 * (Python `struct` format `>BBI`: magic 0xAB, type, payload length) and
 * u16-length-prefixed UTF-8 fields. docs/protocol.md is the byte-level spec.
 *
 * Sans-IO: {@link FrameDecoder} takes chunks of a stream and returns frames;
 * {@link decodeFrames} takes one datagram. Neither reads, waits or buffers
 * more than one frame.
 *
 * @module
 */

import { ByteReader, ByteWriter, utf8 } from "../_bytes.ts";
import {
  type DatagramFrame,
  decodeDatagramPayload,
  encodeDatagramFrame,
  isDatagramType,
} from "../datagram/frames.ts";
import { ErrorCode, errorCodeName, FrameError } from "../errors.ts";
import type { ReceivedEvent } from "../events.ts";
import { LeaveReason, leaveReasonName } from "../events.ts";

/** First byte of every frame. It cannot start UTF-8 text (it is a continuation byte). */
export const MAGIC = 0xab;
/** Bytes in a frame header. */
export const HEADER_SIZE = 6;
/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = 1;
/** Default largest frame (header included) a peer accepts. */
export const DEFAULT_MAX_FRAME_SIZE = 65536;
/** Largest string field: its length prefix is a u16. */
export const MAX_FIELD_BYTES = 0xffff;

/** Frame types and their wire numbers. Client-to-server below 0x80. */
export const FrameType = {
  HELLO: 0x01,
  JOIN: 0x02,
  SAY: 0x03,
  WHO: 0x04,
  LEAVE: 0x05,
  PING: 0x06,
  HELLO_OK: 0x81,
  WELCOME: 0x82,
  JOINED: 0x83,
  LEFT: 0x84,
  MESSAGE: 0x85,
  ANNOUNCEMENT: 0x86,
  MEMBERS: 0x87,
  ERROR: 0x88,
  PONG: 0x89,
  // Datagram transports only (core/datagram/frames.ts).
  ENVELOPE: 0x10,
  PAD: 0x1f,
  TOKEN: 0x90,
  ACK: 0x91,
  SEQ: 0x92,
} as const;
/** A frame type number. */
export type FrameType = typeof FrameType[keyof typeof FrameType];

/** Client frames: the commands a member sends. */
export type Command =
  | {
    readonly type: "hello";
    readonly version: number;
    readonly software: string;
  }
  | { readonly type: "join"; readonly room: string; readonly name: string }
  | { readonly type: "say"; readonly text: string }
  | { readonly type: "who"; readonly room: string }
  | { readonly type: "leave" }
  | { readonly type: "ping"; readonly nonce: number };

/**
 * Any decoded frame: commands, events (with codes and reasons newer than
 * this code carried, not refused), and the datagram transport's frames.
 */
export type Frame = Command | ReceivedEvent | DatagramFrame;

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
    case "hello_ok": {
      const s = field(frame.software);
      return frameOf(FrameType.HELLO_OK, 2 + 2 + s.length + 8)
        .u16(frame.version).str(s).u32(frame.maxFrame).u32(frame.maxMessage)
        .bytes;
    }
    case "welcome": {
      const r = field(frame.room), n = field(frame.name);
      const list = memberList(frame.members);
      const w = frameOf(
        FrameType.WELCOME,
        4 + r.length + n.length + 6 + list.bytes,
      ).str(r).str(n).u32(frame.total).u16(list.names.length);
      for (const m of list.names) w.str(m);
      return w.bytes;
    }
    case "members": {
      const r = field(frame.room);
      const list = memberList(frame.members);
      const w = frameOf(FrameType.MEMBERS, 2 + r.length + 6 + list.bytes)
        .str(r).u32(frame.total).u16(list.names.length);
      for (const m of list.names) w.str(m);
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
    case "envelope":
    case "pad":
    case "token":
    case "ack":
    case "seq":
      return encodeDatagramFrame(frame);
  }
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
  putField(b, putField(b, putField(b, HEADER_SIZE, room, r), from, f), text, t);
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

/** Write a u16-prefixed string of `n` UTF-8 bytes at `at`; returns the end. */
function putField(b: Uint8Array, at: number, s: string, n: number): number {
  b[at] = n >>> 8;
  b[at + 1] = n & 0xff;
  at += 2;
  if (n === s.length) {
    for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
  } else {
    textEncoder.encodeInto(s, b.subarray(at, at + n));
  }
  return at + n;
}

const textEncoder = new TextEncoder();

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

function memberList(
  members: readonly string[],
): { names: Uint8Array[]; bytes: number } {
  const names: Uint8Array[] = [];
  let bytes = 0;
  for (const m of members) {
    const b = field(m);
    if (bytes + 2 + b.length > MEMBER_LIST_BUDGET || names.length === 0xffff) {
      break;
    }
    names.push(b);
    bytes += 2 + b.length;
  }
  return { names, bytes };
}

/**
 * Decode the payload of a frame whose header was already read.
 *
 * @param type The frame type byte.
 * @param payload The payload bytes.
 * @returns The frame.
 * @throws {FrameError} UNKNOWN_TYPE, FRAME_MALFORMED or INVALID_UTF8.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const frame = decodePayload(0x03, new Uint8Array([0, 2, 0x68, 0x69]));
 * assert.deepEqual(frame, { type: "say", text: "hi" });
 * ```
 */
export function decodePayload(type: number, payload: Uint8Array): Frame {
  const r = new ByteReader(payload, HEADER_SIZE);
  let frame: Frame;
  switch (type) {
    case FrameType.HELLO:
      frame = {
        type: "hello",
        version: r.u16("HELLO version"),
        software: r.str("HELLO software"),
      };
      break;
    case FrameType.JOIN:
      frame = {
        type: "join",
        room: r.str("JOIN room"),
        name: r.str("JOIN name"),
      };
      break;
    case FrameType.SAY:
      frame = { type: "say", text: r.str("SAY text") };
      break;
    case FrameType.WHO:
      frame = { type: "who", room: r.str("WHO room") };
      break;
    case FrameType.LEAVE:
      frame = { type: "leave" };
      break;
    case FrameType.PING:
      frame = { type: "ping", nonce: r.u32("PING nonce") };
      break;
    case FrameType.HELLO_OK:
      frame = {
        type: "hello_ok",
        version: r.u16("HELLO_OK version"),
        software: r.str("HELLO_OK software"),
        maxFrame: r.u32("HELLO_OK max frame"),
        maxMessage: r.u32("HELLO_OK max message"),
      };
      break;
    case FrameType.WELCOME: {
      const room = r.str("WELCOME room");
      const name = r.str("WELCOME name");
      const total = r.u32("WELCOME total");
      frame = {
        type: "welcome",
        room,
        name,
        total,
        members: readNames(r, "WELCOME"),
      };
      break;
    }
    case FrameType.MEMBERS: {
      const room = r.str("MEMBERS room");
      const total = r.u32("MEMBERS total");
      frame = {
        type: "members",
        room,
        total,
        members: readNames(r, "MEMBERS"),
      };
      break;
    }
    case FrameType.JOINED:
      frame = {
        type: "joined",
        room: r.str("JOINED room"),
        name: r.str("JOINED name"),
      };
      break;
    case FrameType.LEFT: {
      const room = r.str("LEFT room");
      const name = r.str("LEFT name");
      const n = r.u8("LEFT reason");
      const reason = leaveReasonName(n);
      // A reason newer than this reader is carried, not refused.
      frame = reason === undefined
        ? { type: "left", room, name, reason: "unknown", reasonNumber: n }
        : { type: "left", room, name, reason };
      break;
    }
    case FrameType.MESSAGE:
      frame = {
        type: "message",
        room: r.str("MESSAGE room"),
        from: r.str("MESSAGE from"),
        text: r.str("MESSAGE text"),
      };
      break;
    case FrameType.ANNOUNCEMENT: {
      const room = r.str("ANNOUNCEMENT room");
      frame = {
        type: "announcement",
        room: room === "" ? null : room,
        text: r.str("ANNOUNCEMENT text"),
      };
      break;
    }
    case FrameType.ERROR: {
      const n = r.u16("ERROR code");
      const fatal = r.u8("ERROR fatal") !== 0;
      const message = r.str("ERROR message");
      const code = errorCodeName(n);
      // A code newer than this reader is carried, not refused.
      frame = code === undefined
        ? { type: "error", code: "UNKNOWN", codeNumber: n, fatal, message }
        : { type: "error", code, fatal, message };
      break;
    }
    case FrameType.PONG:
      frame = { type: "pong", nonce: r.u32("PONG nonce") };
      break;
    default:
      if (isDatagramType(type)) {
        frame = decodeDatagramPayload(type, r);
        break;
      }
      throw new FrameError(
        "UNKNOWN_TYPE",
        `Cannot decode frame: unknown type 0x${
          type.toString(16).padStart(2, "0")
        }`,
        1,
      );
  }
  r.end(frameName(type));
  return frame;
}

function readNames(r: ByteReader, what: string): string[] {
  const count = r.u16(`${what} count`);
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(r.str(`${what} member`));
  return names;
}

/** Frame names by type number, for error messages (looked up per decoded frame). */
const FRAME_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(FrameType).map(([name, n]) => [n, name]),
);

function frameName(type: number): string {
  return FRAME_NAMES.get(type) ?? "frame";
}

/** Result of decoding: a frame, or a coded error about one frame. */
export type Decoded = Frame | FrameError;

/** Options of a {@link FrameDecoder}. */
export interface DecoderOptions {
  /** Largest frame accepted, header included. @default {65536} */
  maxFrameSize?: number;
}

/** The empty buffer every idle decoder holds (nothing is ever written to it). */
const NO_BYTES = new Uint8Array(0);

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it returns
 * the frames completed by each chunk. A frame whose fields are wrong yields a
 * {@link FrameError} in place of the frame and decoding goes on (the stream
 * is still in step). A bad magic byte or an over-size length yields a final
 * FrameError with `fatal` set on the decoder: the stream cannot be trusted.
 * The length is checked from the header, before any payload is buffered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const d = new FrameDecoder();
 * const bytes = encodeFrame({ type: "say", text: "hi" });
 * assert.deepEqual(d.push(bytes.subarray(0, 3)), []);
 * assert.deepEqual(d.push(bytes.subarray(3)), [{ type: "say", text: "hi" }]);
 * ```
 */
export class FrameDecoder {
  readonly #max: number;
  #buf: Uint8Array = NO_BYTES;
  #len = 0;
  #failed = false;

  /**
   * Create a new instance.
   * @param options Size limit.
   */
  constructor(options: DecoderOptions = {}) {
    this.#max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  /** True once the stream broke framing; later pushes return nothing. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Bytes held of an incomplete frame. */
  get pending(): number {
    return this.#len;
  }

  /**
   * Decode what a chunk completes.
   *
   * @param chunk Bytes from the stream; not kept after the call returns.
   * @returns Frames and per-frame errors, in stream order.
   */
  push(chunk: Uint8Array): Decoded[] {
    const out: Decoded[] = [];
    if (this.#failed) return out;
    let data = chunk;
    if (this.#len > 0) {
      this.#append(chunk);
      data = this.#buf.subarray(0, this.#len);
    }
    let at = 0;
    while (data.length - at >= HEADER_SIZE) {
      const problem = checkHeader(data, at, this.#max);
      if (problem) {
        out.push(problem);
        this.#failed = true;
        this.#len = 0;
        this.#buf = NO_BYTES;
        return out;
      }
      const size = HEADER_SIZE + readU32(data, at + 2);
      if (data.length - at < size) break;
      out.push(decodeOne(data, at, size));
      at += size;
    }
    // A partial header can already be judged by its magic byte.
    if (at < data.length && data[at] !== MAGIC) {
      out.push(badMagic(data[at] ?? 0, at));
      this.#failed = true;
      this.#len = 0;
      return out;
    }
    const rest = data.length - at;
    if (data === chunk) {
      if (rest > 0) this.#keep(chunk.subarray(at));
    } else if (rest === 0) {
      this.#len = 0;
      if (this.#buf.length > 4096) this.#buf = NO_BYTES;
    } else if (at > 0) {
      this.#buf.copyWithin(0, at, this.#len);
      this.#len = rest;
    }
    return out;
  }

  #keep(bytes: Uint8Array): void {
    this.#len = 0;
    this.#append(bytes);
  }

  #append(bytes: Uint8Array): void {
    const need = this.#len + bytes.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(
        Math.max(need, Math.min(this.#buf.length * 2, this.#max)),
      );
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len = need;
  }
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) * 0x1000000) +
    (((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0));
}

function badMagic(byte: number, at: number): FrameError {
  return new FrameError(
    "FRAME_MALFORMED",
    `Cannot decode frame: expected magic byte 0xab, got 0x${
      byte.toString(16).padStart(2, "0")
    }`,
    at,
  );
}

function checkHeader(
  data: Uint8Array,
  at: number,
  max: number,
): FrameError | undefined {
  const magic = data[at] ?? 0;
  if (magic !== MAGIC) return badMagic(magic, at);
  const size = HEADER_SIZE + readU32(data, at + 2);
  if (size > max) {
    return new FrameError(
      "FRAME_TOO_LARGE",
      `Cannot accept frame: ${size} bytes exceeds the limit of ${max}`,
      at + 2,
    );
  }
  return undefined;
}

function decodeOne(data: Uint8Array, at: number, size: number): Decoded {
  try {
    return decodePayload(
      data[at + 1] ?? 0,
      data.subarray(at + HEADER_SIZE, at + size),
    );
  } catch (e) {
    if (e instanceof FrameError) return e;
    throw e;
  }
}

/**
 * Decode a datagram that holds one or more whole frames. Any framing problem
 * (bad magic, over-size, a partial frame at the end) makes the whole datagram
 * invalid; a frame with bad fields yields a FrameError in its place.
 *
 * @param bytes The datagram.
 * @param options Size limit per frame.
 * @returns The frames, in order.
 * @throws {FrameError} When the datagram is not a sequence of whole frames.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = encodeFrame({ type: "ping", nonce: 1 });
 * const b = encodeFrame({ type: "leave" });
 * const both = new Uint8Array([...a, ...b]);
 * assert.deepEqual(decodeFrames(both), [{ type: "ping", nonce: 1 }, { type: "leave" }]);
 * ```
 */
export function decodeFrames(
  bytes: Uint8Array,
  options: DecoderOptions = {},
): Decoded[] {
  const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  const out: Decoded[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < HEADER_SIZE) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode datagram: ${
          bytes.length - at
        } byte(s) after the last frame`,
        at,
      );
    }
    const problem = checkHeader(bytes, at, max);
    if (problem) throw problem;
    const size = HEADER_SIZE + readU32(bytes, at + 2);
    if (bytes.length - at < size) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode datagram: frame of ${size} bytes is cut at ${
          bytes.length - at
        }`,
        at,
      );
    }
    out.push(decodeOne(bytes, at, size));
    at += size;
  }
  return out;
}

/**
 * Decode exactly one frame.
 *
 * @param bytes One whole frame.
 * @param options Size limit.
 * @returns The frame.
 * @throws {FrameError} When the bytes are not exactly one valid frame.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f = decodeFrame(encodeFrame({ type: "join", room: "lobby", name: "bob" }));
 * assert.deepEqual(f, { type: "join", room: "lobby", name: "bob" });
 * ```
 */
export function decodeFrame(
  bytes: Uint8Array,
  options: DecoderOptions = {},
): Frame {
  const frames = decodeFrames(bytes, options);
  const [first] = frames;
  if (frames.length !== 1 || first === undefined) {
    throw new FrameError(
      "FRAME_MALFORMED",
      `Cannot decode frame: expected 1 frame, found ${frames.length}`,
      0,
    );
  }
  if (first instanceof FrameError) throw first;
  return first;
}

/**
 * Whether a decoded frame is a command (client to server).
 *
 * @param frame A decoded frame.
 * @returns True for HELLO, JOIN, SAY, WHO, LEAVE and PING.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isCommand(decodeFrame(encodeFrame({ type: "leave" }))), true);
 * assert.equal(isCommand({ type: "pong" }), false);
 * ```
 */
export function isCommand(frame: { type: string }): frame is Command {
  switch (frame.type) {
    case "hello":
    case "join":
    case "say":
    case "who":
    case "leave":
    case "ping":
      return true;
  }
  return false;
}
