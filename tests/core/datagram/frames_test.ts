// The datagram frames' encoders (core/datagram/frames.ts) against the
// ByteWriter-based encoder they replaced, kept here as the reference.

import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteWriter } from "../../../core/_bytes.ts";
import { decodeFrames, encodeFrame } from "../../../core/codec/mod.ts";
import {
  type DatagramFrame,
  DatagramFrameType,
  encodeDatagramFrame,
  encodeEnvelope,
  encodeSeq,
  restamp,
  TOKEN_BYTES,
  tokenBytes,
  tokenToHex,
} from "../../../core/datagram/frames.ts";
import { packFrames } from "../../../core/datagram/pack.ts";

/** The encoder before frames were written straight into one buffer. */
function referenceEncode(frame: DatagramFrame): Uint8Array {
  const start = (type: number, payload: number) =>
    new ByteWriter(6 + payload).u8(0xab).u8(type).u32(payload);
  const hex = /^[0-9a-f]{32}$/;
  const token = (t: string) => {
    if (!hex.test(t)) throw new RangeError(`bad token ${t}`);
    const out = new Uint8Array(TOKEN_BYTES);
    for (let i = 0; i < TOKEN_BYTES; i++) {
      out[i] = parseInt(t.slice(i * 2, i * 2 + 2), 16);
    }
    return out;
  };
  switch (frame.type) {
    case "envelope":
      return start(DatagramFrameType.ENVELOPE, TOKEN_BYTES + 4)
        .raw(token(frame.token)).u32(frame.seq).bytes;
    case "pad":
      return start(DatagramFrameType.PAD, frame.length).bytes;
    case "token":
      return start(DatagramFrameType.TOKEN, TOKEN_BYTES + 10)
        .raw(token(frame.token)).u32(frame.idleTimeoutMs)
        .u32(frame.pingIntervalMs).u16(frame.maxDatagram).bytes;
    case "ack":
      return start(DatagramFrameType.ACK, 8).u32(frame.ack).u32(frame.mask)
        .bytes;
    case "seq":
      return start(DatagramFrameType.SEQ, TOKEN_BYTES + 4)
        .raw(token(frame.token)).u32(frame.seq).bytes;
  }
}

const tokenArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(
  tokenToHex,
);
// In range, and out of it: both encoders wrap as DataView's setters do.
const num = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double(),
);
const frameArb: fc.Arbitrary<DatagramFrame> = fc.oneof(
  fc.record({ type: fc.constant("envelope"), token: tokenArb, seq: num }),
  fc.record({ type: fc.constant("seq"), token: tokenArb, seq: num }),
  fc.record({
    type: fc.constant("pad"),
    length: fc.integer({ min: 0, max: 2000 }),
  }),
  fc.record({
    type: fc.constant("token"),
    token: tokenArb,
    idleTimeoutMs: num,
    pingIntervalMs: num,
    maxDatagram: num,
  }),
  fc.record({ type: fc.constant("ack"), ack: num, mask: num }),
).map((f) => ({ ...f }) as DatagramFrame);

Deno.test("datagram frames: the direct encoder writes the reference's bytes", () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const want = referenceEncode(frame);
      assert.deepEqual(encodeDatagramFrame(frame), want);
      assert.deepEqual(encodeFrame(frame), want);
      if (frame.type === "seq") {
        assert.deepEqual(encodeSeq(tokenBytes(frame.token), frame.seq), want);
      }
      if (frame.type === "envelope") {
        assert.deepEqual(
          encodeEnvelope(tokenBytes(frame.token), frame.seq),
          want,
        );
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("datagram frames: in-range frames decode to what was encoded", () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const valid: fc.Arbitrary<DatagramFrame> = fc.oneof(
    fc.record({ type: fc.constant("envelope"), token: tokenArb, seq: u32 }),
    fc.record({ type: fc.constant("seq"), token: tokenArb, seq: u32 }),
    fc.record({
      type: fc.constant("token"),
      token: tokenArb,
      idleTimeoutMs: u32,
      pingIntervalMs: u32,
      maxDatagram: fc.integer({ min: 0, max: 0xffff }),
    }),
    fc.record({ type: fc.constant("ack"), ack: u32, mask: u32 }),
  ).map((f) => ({ ...f }) as DatagramFrame);
  fc.assert(
    fc.property(valid, (frame) => {
      assert.deepEqual(decodeFrames(encodeDatagramFrame(frame)), [frame]);
    }),
  );
});

Deno.test("datagram frames: a token that is not 32 lowercase hex digits is refused", () => {
  const good = "0123456789abcdef".repeat(2);
  const bad = [
    "",
    good.slice(1),
    good + "0",
    good.toUpperCase(),
    good.slice(0, 31) + "g",
    good.slice(0, 31) + "/",
    good.slice(0, 31) + ":",
    good.slice(0, 31) + "`",
    " " + good.slice(1),
  ];
  for (const token of bad) {
    assert.throws(
      () => encodeDatagramFrame({ type: "seq", token, seq: 1 }),
      /^RangeError: Cannot encode token: expected 32 lowercase hex digits/,
    );
    assert.throws(() => tokenBytes(token), RangeError);
  }
  assert.throws(
    () => encodeSeq(new Uint8Array(15), 1),
    /^RangeError: Cannot encode token: expected 16 bytes, got 15/,
  );
  assert.equal(tokenToHex(tokenBytes(good)), good);
});

Deno.test("datagram frames: one restamped SEQ head packs as a fresh head per datagram", () => {
  const frameSizes = fc.array(fc.integer({ min: 1, max: 600 }), {
    maxLength: 40,
  });
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 1, max: 0xffffffff }),
      frameSizes,
      (token, first, sizes) => {
        const frames = sizes.map((n, i) => new Uint8Array(n).fill(i));
        const head = encodeSeq(token, first);
        const reused = packFrames(
          frames,
          1200,
          (i) => restamp(head, first + i),
        );
        const fresh = packFrames(
          frames,
          1200,
          (i) =>
            referenceEncode({
              type: "seq",
              token: tokenToHex(token),
              seq: first + i,
            }),
        );
        assert.deepEqual(reused, fresh);
      },
    ),
  );
});
