// The decoders (core/codec/decoder.ts): FrameDecoder at chunk boundaries,
// errors that keep a stream in step and those that end it, the size limit
// from the header alone, and decodeFrame(s) for datagrams.

import assert from "node:assert/strict";
import {
  decodeFrame,
  decodeFrames,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  HEADER_SIZE,
  MAGIC,
} from "../../../core/codec/mod.ts";
import { FrameError } from "../../../core/errors.ts";
import { concat } from "../../_bytes.ts";
import { byByte, FIXTURES, rawFrame, simplify } from "./_fixtures.ts";

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
