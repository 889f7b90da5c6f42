// MESSAGE, the frame of every fan-out, has its own encoder (core/codec/encode.ts
// encodeMessage): it must give exactly the bytes of the documented layout,
// as TextEncoder would, for any strings, lone surrogates included.

import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeFrame, encodeFrame } from "../../../core/codec/mod.ts";

function reference(room: string, from: string, text: string): Uint8Array {
  const enc = new TextEncoder();
  const fields = [room, from, text].map((s) => enc.encode(s));
  const payload = fields.reduce((n, f) => n + 2 + f.length, 0);
  const out = new Uint8Array(6 + payload);
  const view = new DataView(out.buffer);
  out[0] = 0xab;
  out[1] = 0x85;
  view.setUint32(2, payload);
  let at = 6;
  for (const f of fields) {
    view.setUint16(at, f.length);
    out.set(f, at + 2);
    at += 2 + f.length;
  }
  return out;
}

const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), {
  maxLength: 40,
}).map((units) => String.fromCharCode(...units));
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  anyUnits,
);

Deno.test("codec: MESSAGE bytes match the reference encoding for any strings", () => {
  fc.assert(
    fc.property(anyText, anyText, anyText, (room, from, text) => {
      const bytes = encodeFrame({ type: "message", room, from, text });
      assert.deepEqual(bytes, reference(room, from, text));
    }),
    { numRuns: 500 },
  );
});

Deno.test("codec: MESSAGE with well-formed strings round-trips", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string({ unit: "grapheme" }), (
      room,
      from,
      text,
    ) => {
      const frame = { type: "message" as const, room, from, text };
      assert.deepEqual(decodeFrame(encodeFrame(frame)), frame);
    }),
    { numRuns: 300 },
  );
});

Deno.test("codec: a MESSAGE field over 65535 bytes is refused", () => {
  assert.throws(
    () =>
      encodeFrame({
        type: "message",
        room: "lobby",
        from: "bob",
        text: "é".repeat(32768), // 65536 bytes
      }),
    RangeError,
  );
  const max = encodeFrame({
    type: "message",
    room: "lobby",
    from: "bob",
    text: "x".repeat(65535),
  });
  assert.equal(max.length, 6 + 2 + 5 + 2 + 3 + 2 + 65535);
});
