// Session tokens of the datagram transport (core/datagram/token.ts).

import assert from "node:assert/strict";
import { sameToken, tokenBytes } from "../../../core/datagram/token.ts";

Deno.test("datagram: tokens are 16 bytes as 32 hex digits, compared in constant time", () => {
  const t = "0123456789abcdef0123456789abcdef";
  assert.equal(tokenBytes(t).length, 16);
  assert.throws(() => tokenBytes("0123"), RangeError);
  assert.throws(() => tokenBytes(t.toUpperCase()), RangeError);
  assert.equal(sameToken(t, t), true);
  assert.equal(sameToken(t, t.slice(0, 31) + "0"), false);
  assert.equal(sameToken(t, "f" + t.slice(1)), false);
  assert.equal(sameToken(t, t.slice(1)), false);
});
