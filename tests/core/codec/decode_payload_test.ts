// Decoding payloads (core/codec/decode_payload.ts): bad fields give a
// FrameError with the right code.

import assert from "node:assert/strict";
import { decodeFrame, FrameType } from "../../../core/codec/mod.ts";
import { type ErrorCodeName, FrameError } from "../../../core/errors.ts";
import { rawFrame } from "./_fixtures.ts";

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
