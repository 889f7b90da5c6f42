// Properties of the codec (fast-check): random frames round-trip, random and
// mutated bytes never break the decoders, and chunking never matters.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Decoded,
  decodeFrame,
  decodeFrames,
  encodeFrame,
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
import { concat } from "../../_bytes.ts";
import { pushAll, rawFrame, simplify } from "./_fixtures.ts";

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
