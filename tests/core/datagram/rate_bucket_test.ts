// The token bucket of the datagram rate limits (core/datagram/rate_bucket.ts).

import assert from "node:assert/strict";
import { RateBucket } from "../../../core/datagram/rate_bucket.ts";

Deno.test("datagram: a rate bucket allows bursts and refills with time", () => {
  const b = new RateBucket(10, 20, 0);
  let ok = 0;
  for (let i = 0; i < 100; i++) if (b.take(0)) ok++;
  assert.equal(ok, 20);
  assert.equal(b.full(0), false);
  assert.equal(b.take(100), true); // 100 ms at 10/s: one token
  assert.equal(b.take(100), false);
  assert.equal(b.full(10_000), true);
  const off = new RateBucket(0, 0, 0);
  for (let i = 0; i < 1000; i++) assert.equal(off.take(0), true);
});
