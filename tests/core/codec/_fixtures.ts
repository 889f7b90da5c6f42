// Fixtures shared by the codec tests: one frame of every type, raw frames
// with any bytes, and the chunk-boundary check (whole, byte by byte, split
// at every offset).

import assert from "node:assert/strict";
import {
  type Decoded,
  type Frame,
  FrameDecoder,
  MAGIC,
} from "../../../core/codec/mod.ts";
import {
  ErrorCode,
  type ErrorCodeName,
  FrameError,
} from "../../../core/errors.ts";
import { LeaveReason } from "../../../core/events.ts";

// One of every frame type, with text that is not plain ASCII where a field
// is text, and extreme numbers where a field is a number.
export const FIXTURES: readonly Frame[] = [
  { type: "hello", version: 1, software: "roomcast-cli/0.1" },
  { type: "join", room: "lobby", name: "张三" },
  { type: "say", text: "hi 👋 你好" },
  { type: "say", text: "" },
  { type: "who", room: "" },
  { type: "who", room: "大厅" },
  { type: "leave" },
  { type: "ping", nonce: 0 },
  { type: "ping", nonce: 0xffffffff },
  { type: "resume", token: "1x2y3z.AbCd-_", seen: 0 },
  { type: "resume", token: "", seen: 0xffffffff },
  { type: "recall" },
  {
    type: "hello_ok",
    version: 1,
    software: "roomcast/0.1",
    maxFrame: 65536,
    maxMessage: 4096,
  },
  {
    type: "welcome",
    room: "lobby",
    name: "bob",
    members: ["amy", "bob", "管理员x"],
    total: 3,
  },
  { type: "welcome", room: "lobby", name: "bob", members: [], total: 0 },
  {
    type: "welcome",
    room: "lobby",
    name: "bob",
    members: ["bob"],
    total: 1,
    resume: { token: "1x2y3z.AbCd-_", graceMs: 60000, seq: 12, lost: 3 },
  },
  {
    type: "members",
    room: "lobby",
    members: ["amy", "bob"],
    total: 70000,
  },
  { type: "joined", room: "lobby", name: "bob" },
  ...Object.keys(LeaveReason).map((reason): Frame => ({
    type: "left",
    room: "lobby",
    name: "bob",
    reason: reason as keyof typeof LeaveReason,
  })),
  { type: "message", room: "lobby", from: "bob", text: "hello\nworld" },
  { type: "announcement", room: null, text: "server restarts at 5" },
  { type: "announcement", room: "lobby", text: "公告" },
  ...Object.keys(ErrorCode).map((code, i): Frame => ({
    type: "error",
    code: code as ErrorCodeName,
    message: `detail ${code}`,
    fatal: i % 2 === 0,
  })),
  { type: "pong", nonce: 123456789 },
  {
    type: "history",
    time: 1764172834102,
    event: { type: "message", room: "lobby", from: "amy", text: "hi 你好" },
  },
  {
    type: "history",
    time: 2 ** 53 - 1,
    event: { type: "announcement", room: null, text: "back soon" },
  },
  // Datagram transports (core/datagram/frames.ts).
  { type: "envelope", token: "00112233445566778899aabbccddeeff", seq: 0 },
  {
    type: "envelope",
    token: "ffffffffffffffffffffffffffffffff",
    seq: 0xffffffff,
  },
  { type: "pad", length: 0 },
  { type: "pad", length: 230 },
  {
    type: "token",
    token: "0000002a8f3c11d07e2b9a6c5d4e3f21",
    idleTimeoutMs: 30000,
    pingIntervalMs: 10000,
    maxDatagram: 1200,
  },
  { type: "ack", ack: 7, mask: 0x80000001 },
  { type: "seq", token: "0000002a8f3c11d07e2b9a6c5d4e3f21", seq: 1 },
];

export function rawFrame(type: number, payload: number[]): Uint8Array {
  const n = payload.length;
  return new Uint8Array([
    MAGIC,
    type,
    (n >>> 24) & 0xff,
    (n >>> 16) & 0xff,
    (n >>> 8) & 0xff,
    n & 0xff,
    ...payload,
  ]);
}

/** Frames as themselves, errors by class and code, for deepEqual. */
export function simplify(items: readonly Decoded[]): unknown[] {
  return items.map((item) =>
    item instanceof FrameError ? { error: item.name, code: item.code } : item
  );
}

export function pushAll(
  decoder: FrameDecoder,
  chunks: Uint8Array[],
): Decoded[] {
  const out: Decoded[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  return out;
}

/** Decode a stream fed whole, one byte at a time, and split at every offset. */
export function byByte(stream: Uint8Array, options = {}): Decoded[] {
  const whole = new FrameDecoder(options).push(stream.slice());
  const expected = simplify(whole);

  const bytes: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) bytes.push(stream.slice(i, i + 1));
  const oneByOne = new FrameDecoder(options);
  assert.deepEqual(
    simplify(pushAll(oneByOne, bytes)),
    expected,
    "byte by byte",
  );

  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder(options);
    const got = pushAll(d, [stream.slice(0, cut), stream.slice(cut)]);
    assert.deepEqual(simplify(got), expected, `split at ${cut}`);
  }
  return whole;
}
