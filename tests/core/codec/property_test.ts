import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Decoded,
  decodeFrame,
  decodeFrames,
  decodePayload,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  HEADER_SIZE,
  MAGIC,
} from "../../../core/codec/mod.ts";
import {
  ErrorCode,
  type ErrorCodeName,
  FrameError,
} from "../../../core/errors.ts";
import { LeaveReason } from "../../../core/events.ts";
import { concat } from "../../_bytes.ts";

// One of every frame type, with text that is not plain ASCII where a field
// is text, and extreme numbers where a field is a number.
const FIXTURES: readonly Frame[] = [
  { type: "hello", version: 1, software: "roomcast-cli/0.1" },
  { type: "join", room: "lobby", name: "张三" },
  { type: "say", text: "hi 👋 你好" },
  { type: "say", text: "" },
  { type: "who", room: "" },
  { type: "who", room: "大厅" },
  { type: "leave" },
  { type: "ping", nonce: 0 },
  { type: "ping", nonce: 0xffffffff },
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

function rawFrame(type: number, payload: number[]): Uint8Array {
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
function simplify(items: readonly Decoded[]): unknown[] {
  return items.map((item) =>
    item instanceof FrameError ? { error: item.name, code: item.code } : item
  );
}

function pushAll(decoder: FrameDecoder, chunks: Uint8Array[]): Decoded[] {
  const out: Decoded[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  return out;
}

/** Decode a stream fed whole, one byte at a time, and split at every offset. */
function byByte(stream: Uint8Array, options = {}): Decoded[] {
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

Deno.test("codec: every fixture frame round-trips through encode and decode", () => {
  const seen = new Set<string>();
  for (const frame of FIXTURES) {
    const bytes = encodeFrame(frame);
    assert.equal(bytes[0], MAGIC);
    assert.equal(
      new DataView(bytes.buffer).getUint32(2),
      bytes.length - HEADER_SIZE,
      `${frame.type}: length field`,
    );
    assert.deepEqual(decodeFrame(bytes), frame);
    seen.add(frame.type);
  }
  // Every frame type number has a fixture.
  assert.equal(seen.size, Object.keys(FrameType).length);
});

Deno.test("codec: SAY has the documented byte layout", () => {
  assert.deepEqual(
    [...encodeFrame({ type: "say", text: "hi" })],
    [0xab, 0x03, 0, 0, 0, 4, 0, 2, 0x68, 0x69],
  );
  assert.deepEqual(
    [...encodeFrame({ type: "leave" })],
    [0xab, 0x05, 0, 0, 0, 0],
  );
  assert.deepEqual(
    [...encodeFrame({
      type: "left",
      room: "r",
      name: "b",
      reason: "slow_consumer",
    })],
    [0xab, 0x84, 0, 0, 0, 7, 0, 1, 0x72, 0, 1, 0x62, 3],
  );
  assert.deepEqual(decodePayload(0x03, new Uint8Array([0, 2, 0x68, 0x69])), {
    type: "say",
    text: "hi",
  });
});

Deno.test("codec: a fixture stream decodes the same whole, byte by byte and split anywhere", () => {
  const stream = concat(...FIXTURES.map(encodeFrame));
  const frames = byByte(stream);
  assert.deepEqual(frames, FIXTURES);
});

Deno.test("codec: per-frame errors in a stream keep the stream in step", () => {
  const stream = concat(
    encodeFrame({ type: "ping", nonce: 1 }),
    rawFrame(0x7f, [1, 2, 3]), // unknown type
    encodeFrame({ type: "ping", nonce: 2 }),
    rawFrame(FrameType.SAY, [0, 5, 0x68]), // string cut short
    rawFrame(FrameType.LEAVE, [0]), // trailing byte
    rawFrame(FrameType.SAY, [0, 2, 0xff, 0xfe]), // invalid UTF-8
    rawFrame(FrameType.SAY, [0, 2, 0xc0, 0x80]), // overlong NUL
    rawFrame(FrameType.SAY, [0, 3, 0xed, 0xa0, 0x80]), // UTF-8 surrogate
    rawFrame(FrameType.PING, [0, 0, 1]), // u32 cut short
    encodeFrame({ type: "ping", nonce: 3 }),
  );
  const d = new FrameDecoder();
  const got = d.push(stream);
  assert.deepEqual(simplify(got), [
    { type: "ping", nonce: 1 },
    { error: "FrameError", code: "UNKNOWN_TYPE" },
    { type: "ping", nonce: 2 },
    { error: "FrameError", code: "FRAME_MALFORMED" },
    { error: "FrameError", code: "FRAME_MALFORMED" },
    { error: "FrameError", code: "INVALID_UTF8" },
    { error: "FrameError", code: "INVALID_UTF8" },
    { error: "FrameError", code: "INVALID_UTF8" },
    { error: "FrameError", code: "FRAME_MALFORMED" },
    { type: "ping", nonce: 3 },
  ]);
  assert.equal(d.failed, false);
  assert.equal(d.pending, 0);
  // And the same however the stream is cut.
  byByte(stream);
});

Deno.test("codec: per-frame errors from decodeFrame have class and code", () => {
  const cases: [Uint8Array, ErrorCodeName][] = [
    [rawFrame(0x00, []), "UNKNOWN_TYPE"],
    [rawFrame(0x80, []), "UNKNOWN_TYPE"],
    [rawFrame(0xff, [1]), "UNKNOWN_TYPE"],
    [rawFrame(FrameType.JOIN, [0, 5, 0x6c, 0x6f]), "FRAME_MALFORMED"],
    [rawFrame(FrameType.JOIN, [0, 1, 0x6c]), "FRAME_MALFORMED"], // no name
    [rawFrame(FrameType.HELLO, [0]), "FRAME_MALFORMED"],
    [rawFrame(FrameType.PONG, [0, 0, 0, 1, 9]), "FRAME_MALFORMED"],
    [rawFrame(FrameType.WHO, [0, 1, 0x80]), "INVALID_UTF8"],
    [
      rawFrame(FrameType.WELCOME, [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]),
      "FRAME_MALFORMED",
    ], // 2 names announced, 1 present
  ];
  for (const [bytes, code] of cases) {
    assert.throws(() => decodeFrame(bytes), { name: "FrameError", code });
    assert.throws(() => decodeFrame(bytes), FrameError);
  }
});

Deno.test("codec: FRAME_TOO_LARGE is detected from the 6-byte header alone", () => {
  const header = new Uint8Array([MAGIC, FrameType.SAY, 0xff, 0xff, 0xff, 0xff]);
  const d = new FrameDecoder();
  const got = d.push(header);
  assert.equal(got.length, 1);
  assert.ok(got[0] instanceof FrameError);
  assert.equal(got[0].code, "FRAME_TOO_LARGE");
  assert.equal(d.failed, true);
  assert.equal(d.pending, 0);
  // Nothing more comes out of a failed decoder.
  assert.deepEqual(d.push(encodeFrame({ type: "leave" })), []);

  // Header split in two: still judged as soon as it is whole.
  const split = new FrameDecoder();
  assert.deepEqual(split.push(header.subarray(0, 5)), []);
  assert.deepEqual(simplify(split.push(header.subarray(5))), [
    { error: "FrameError", code: "FRAME_TOO_LARGE" },
  ]);
  assert.equal(split.failed, true);

  // Datagram and single-frame decoding too.
  assert.throws(() => decodeFrame(header), {
    name: "FrameError",
    code: "FRAME_TOO_LARGE",
  });
  assert.throws(() => decodeFrames(header), {
    name: "FrameError",
    code: "FRAME_TOO_LARGE",
  });
});

Deno.test("codec: maxFrameSize counts the header; exactly the limit is accepted", () => {
  const max = 64;
  const fits = encodeFrame({ type: "say", text: "x".repeat(max - 8) });
  assert.equal(fits.length, max);
  assert.deepEqual(decodeFrame(fits, { maxFrameSize: max }), {
    type: "say",
    text: "x".repeat(max - 8),
  });
  assert.deepEqual(
    simplify(new FrameDecoder({ maxFrameSize: max }).push(fits)),
    [{ type: "say", text: "x".repeat(max - 8) }],
  );
  const over = encodeFrame({ type: "say", text: "x".repeat(max - 7) });
  assert.throws(() => decodeFrame(over, { maxFrameSize: max }), {
    name: "FrameError",
    code: "FRAME_TOO_LARGE",
  });
  const d = new FrameDecoder({ maxFrameSize: max });
  assert.deepEqual(simplify(d.push(over.subarray(0, HEADER_SIZE))), [
    { error: "FrameError", code: "FRAME_TOO_LARGE" },
  ]);
  assert.equal(d.failed, true);
  // The default.
  const big = new Uint8Array([MAGIC, 3, 0, 1, 0, 0]); // 6 + 65536 bytes
  assert.equal(DEFAULT_MAX_FRAME_SIZE, 65536);
  assert.throws(() => decodeFrames(big), { code: "FRAME_TOO_LARGE" });
});

Deno.test("codec: a bad magic byte is fatal for a stream", () => {
  const good = encodeFrame({ type: "ping", nonce: 7 });
  const bad = concat(good, new Uint8Array([0x00]), good);
  const d = new FrameDecoder();
  assert.deepEqual(simplify(d.push(bad)), [
    { type: "ping", nonce: 7 },
    { error: "FrameError", code: "FRAME_MALFORMED" },
  ]);
  assert.equal(d.failed, true);
  assert.deepEqual(d.push(good), []);

  // Judged from the first byte, before a header is whole.
  const early = new FrameDecoder();
  assert.deepEqual(simplify(early.push(new Uint8Array([0x48]))), [
    { error: "FrameError", code: "FRAME_MALFORMED" },
  ]);
  assert.equal(early.failed, true);

  // The same for every way of cutting the stream.
  byByte(bad);

  assert.throws(() => decodeFrames(bad), {
    name: "FrameError",
    code: "FRAME_MALFORMED",
  });
  assert.throws(() => decodeFrame(new TextEncoder().encode("JOIN lobby bob")), {
    name: "FrameError",
    code: "FRAME_MALFORMED",
  });
});

Deno.test("codec: FrameDecoder does not keep the caller's chunk", () => {
  const bytes = encodeFrame({ type: "say", text: "hello" });
  const chunk = bytes.slice(0, 7);
  const d = new FrameDecoder();
  assert.deepEqual(d.push(chunk), []);
  assert.equal(d.pending, 7);
  chunk.fill(0); // the transport reuses its read buffer
  assert.deepEqual(d.push(bytes.slice(7)), [{ type: "say", text: "hello" }]);
  assert.equal(d.pending, 0);
});

Deno.test("codec: decodeFrames decodes a datagram of several frames", () => {
  const frames: Frame[] = [
    { type: "hello", version: 1, software: "x" },
    { type: "join", room: "lobby", name: "bob" },
    { type: "say", text: "hi" },
  ];
  const datagram = concat(...frames.map(encodeFrame));
  assert.deepEqual(decodeFrames(datagram), frames);
  assert.deepEqual(decodeFrames(new Uint8Array(0)), []);

  // A bad frame inside yields an error in its place.
  const mixed = concat(
    encodeFrame({ type: "leave" }),
    rawFrame(0x42, []),
    encodeFrame({ type: "leave" }),
  );
  assert.deepEqual(simplify(decodeFrames(mixed)), [
    { type: "leave" },
    { error: "FrameError", code: "UNKNOWN_TYPE" },
    { type: "leave" },
  ]);

  // A partial frame or partial header at the end spoils the datagram.
  for (let cut = 1; cut < datagram.length; cut++) {
    const boundary = [0, 1, 2].some((i) =>
      concat(...frames.slice(0, i + 1).map(encodeFrame)).length === cut
    );
    if (boundary) continue;
    assert.throws(() => decodeFrames(datagram.subarray(0, cut)), {
      name: "FrameError",
      code: "FRAME_MALFORMED",
    }, `cut at ${cut}`);
  }
});

Deno.test("codec: decodeFrame wants exactly one frame", () => {
  const one = encodeFrame({ type: "leave" });
  assert.throws(() => decodeFrame(concat(one, one)), {
    name: "FrameError",
    code: "FRAME_MALFORMED",
  });
  assert.throws(() => decodeFrame(new Uint8Array(0)), {
    name: "FrameError",
    code: "FRAME_MALFORMED",
  });
});

Deno.test("codec: encodeFrame refuses a field over 65535 bytes", () => {
  assert.throws(
    () => encodeFrame({ type: "say", text: "x".repeat(65536) }),
    RangeError,
  );
  const max = encodeFrame({ type: "say", text: "x".repeat(65535) });
  assert.equal(max.length, HEADER_SIZE + 2 + 65535);
});

Deno.test("codec: long member lists are cut to a budget but keep the total", () => {
  const members = Array.from({ length: 5000 }, (_, i) => `member-${i}`);
  const frame = decodeFrame(
    encodeFrame({
      type: "welcome",
      room: "lobby",
      name: "member-0",
      members,
      total: members.length,
    }),
  );
  assert.equal(frame.type, "welcome");
  if (frame.type !== "welcome") return;
  assert.equal(frame.total, 5000);
  assert.ok(frame.members.length > 0 && frame.members.length < 5000);
  assert.deepEqual(frame.members, members.slice(0, frame.members.length));
});

// ---------------------------------------------------------------------------
// Properties

const text = fc.string({ unit: "grapheme", maxLength: 40 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const names = fc.array(text, { maxLength: 6 });

// fc.record builds null-prototype objects; spread them into plain ones so
// that they deep-equal what the decoder builds.
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant("hello"), version: u16, software: text }),
  fc.record({ type: fc.constant("join"), room: text, name: text }),
  fc.record({ type: fc.constant("say"), text }),
  fc.record({ type: fc.constant("who"), room: text }),
  fc.record({ type: fc.constant("leave") }),
  fc.record({ type: fc.constant("ping"), nonce: u32 }),
  fc.record({
    type: fc.constant("hello_ok"),
    version: u16,
    software: text,
    maxFrame: u32,
    maxMessage: u32,
  }),
  fc.record({
    type: fc.constant("welcome"),
    room: text,
    name: text,
    members: names,
    total: u32,
  }),
  fc.record({
    type: fc.constant("members"),
    room: text,
    members: names,
    total: u32,
  }),
  fc.record({ type: fc.constant("joined"), room: text, name: text }),
  fc.record({
    type: fc.constant("left"),
    room: text,
    name: text,
    reason: fc.constantFrom(
      ...(Object.keys(LeaveReason) as (keyof typeof LeaveReason)[]),
    ),
  }),
  fc.record({ type: fc.constant("message"), room: text, from: text, text }),
  fc.record({
    type: fc.constant("announcement"),
    room: fc.option(text.filter((s) => s !== ""), { nil: null }),
    text,
  }),
  fc.record({
    type: fc.constant("error"),
    code: fc.constantFrom(...(Object.keys(ErrorCode) as ErrorCodeName[])),
    message: text,
    fatal: fc.boolean(),
  }),
  fc.record({ type: fc.constant("pong"), nonce: u32 }),
).map((frame) => ({ ...frame }) as Frame);

/** Cut points for a stream of `n` bytes, as chunk boundaries. */
function chunksOf(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.slice(at, p));
    at = p;
  }
  out.push(bytes.slice(at));
  return out;
}

type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "cut"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; n: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant("flip" as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    op: fc.constant("delete" as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 8 }),
  }),
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b: Uint8Array = bytes.slice();
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.op) {
      case "flip":
        if (b.length > 0) b[at] = (b[at] ?? 0) ^ (1 << m.bit);
        break;
      case "cut":
        b = b.slice(0, at);
        break;
      case "insert":
        b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
        break;
      case "delete":
        b = concat(b.subarray(0, at), b.subarray(at + m.n));
        break;
    }
  }
  return b;
}

function assertDecoded(items: readonly Decoded[]): void {
  for (const item of items) {
    if (item instanceof FrameError) {
      assert.ok(item.code in ErrorCode);
    } else {
      assert.equal(typeof item.type, "string");
    }
  }
}

/** decodeFrames returns Frames/FrameErrors or throws a FrameError; nothing else. */
function decodeFramesSafely(bytes: Uint8Array): Decoded[] | FrameError {
  try {
    const items = decodeFrames(bytes);
    assertDecoded(items);
    return items;
  } catch (e) {
    if (e instanceof FrameError) return e;
    throw e;
  }
}

/** The stream decodes to the same items however it is chunked. */
function assertChunkingAgnostic(bytes: Uint8Array, cuts: number[]): void {
  const whole = new FrameDecoder();
  const expected = whole.push(bytes);
  assertDecoded(expected);
  const chunked = new FrameDecoder();
  const got = pushAll(chunked, chunksOf(bytes, cuts));
  assertDecoded(got);
  assert.deepEqual(simplify(got), simplify(expected));
  assert.equal(chunked.failed, whole.failed);
  assert.equal(chunked.pending, whole.pending);

  // A datagram that decodes cleanly decodes like the stream.
  const datagram = decodeFramesSafely(bytes);
  if (!(datagram instanceof FrameError)) {
    assert.deepEqual(simplify(datagram), simplify(expected));
    assert.equal(whole.pending, 0);
    assert.equal(whole.failed, false);
  }
}

Deno.test("codec property: random valid frames round-trip", () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const bytes = encodeFrame(frame);
      assert.deepEqual(decodeFrame(bytes), frame);
      assert.deepEqual(new FrameDecoder().push(bytes), [frame]);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("codec property: random bytes only ever give Frames or FrameErrors", () => {
  // Biased toward the magic byte so that headers are often well formed.
  const byte = fc.oneof(
    { weight: 1, arbitrary: fc.constant(MAGIC) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
  );
  const bytesArb = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.array(byte, { maxLength: 64 }).map((a) => new Uint8Array(a)),
    // A header with a small length, then random payload.
    fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 40 }),
    ).map(([type, payload]) => rawFrame(type, [...payload])),
  );
  fc.assert(
    fc.property(
      bytesArb,
      fc.array(fc.nat(), { maxLength: 8 }),
      (bytes, cuts) => {
        decodeFramesSafely(bytes);
        try {
          decodeFrame(bytes);
        } catch (e) {
          if (!(e instanceof FrameError)) throw e;
        }
        assertChunkingAgnostic(bytes, cuts);
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("codec property: mutated valid streams never break the decoders", () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { minLength: 1, maxLength: 4 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (frames, mutations, cuts) => {
        const bytes = mutate(concat(...frames.map(encodeFrame)), mutations);
        decodeFramesSafely(bytes);
        assertChunkingAgnostic(bytes, cuts);
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("codec property: valid streams decode the same for any chunking", () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (frames, cuts) => {
        const bytes = concat(...frames.map(encodeFrame));
        const d = new FrameDecoder();
        assert.deepEqual(pushAll(d, chunksOf(bytes, cuts)), frames);
        assert.equal(d.pending, 0);
      },
    ),
    { numRuns: 1000 },
  );
});
