// Encoding (core/codec/encode.ts): every frame type round-trips, the
// documented byte layouts, and the limits of fields and member lists.

import assert from "node:assert/strict";
import {
  decodeFrame,
  decodePayload,
  encodeFrame,
  FrameType,
  HEADER_SIZE,
  MAGIC,
} from "../../../core/codec/mod.ts";
import { FIXTURES } from "./_fixtures.ts";

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
