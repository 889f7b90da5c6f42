// The bytes every WebSocket member gets alike are made once and shared.

import assert from "node:assert/strict";
import {
  frameHeader,
  textBytes,
} from "../../../adapters/http/ws_frame_cache.ts";

Deno.test("ws frame cache: a header is written once per opcode and length, and shared", () => {
  const h = frameHeader(0x1, 300);
  assert.deepEqual([...h], [0x81, 126, 1, 44]);
  assert.equal(frameHeader(0x1, 300), h);
  assert.deepEqual([...frameHeader(0x2, 5)], [0x82, 5]);
  // Past its bound the cache starts again: headers stay right.
  for (let n = 0; n < 200; n++) frameHeader(0x2, n);
  assert.deepEqual([...frameHeader(0x1, 300)], [0x81, 126, 1, 44]);
});

Deno.test("ws frame cache: a text sent to many members is encoded once", () => {
  const b = textBytes("héllo");
  assert.deepEqual(b, new TextEncoder().encode("héllo"));
  assert.equal(textBytes("héllo"), b);
});
