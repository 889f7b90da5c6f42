// The client's opening of a datagram session (core/datagram/handshake.ts),
// end to end in memory.

import assert from "node:assert/strict";
import { Net } from "./_net.ts";

Deno.test("udp: a HELLO nobody answers is sent a bounded number of times", () => {
  const net = new Net();
  net.wire = () => 0;
  const c = net.client();
  net.advance(10_000, 50);
  assert.equal(c.closed, true);
  const e = c.events.at(-1);
  assert.ok(e?.type === "error" && e.code === "UNAVAILABLE");
  assert.match(e.message, /no answer to 4 HELLOs/);
});
