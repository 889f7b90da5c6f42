// The client's send window (core/datagram/send_window.ts), end to end in
// memory: commands refused before they are sent, retransmission that gives
// up.

import assert from "node:assert/strict";
import type { ChatEvent } from "../../../core/events.ts";
import { member, Net, texts } from "./_net.ts";

Deno.test("udp: a message too large for a datagram is refused by the client, not fragmented", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  net.send(bob, { type: "say", text: "x".repeat(1200) });
  net.run();
  const [e] = bob.events;
  assert.ok(e?.type === "error" && e.code === "DATAGRAM_TOO_LARGE" && !e.fatal);
  assert.match(
    e.message,
    /^Cannot send say: \d+ bytes do not fit a 1200-byte datagram$/,
  );
  assert.deepEqual(amy.events, []);
  // The most a client can send (1200 - 26 - 8 bytes of text) is more than
  // fits a MESSAGE to another UDP member (it also names room and sender):
  // that member is told instead of getting a cut message.
  net.send(bob, { type: "say", text: "x".repeat(1166) });
  net.send(bob, { type: "say", text: "x".repeat(1100) });
  net.run();
  assert.equal((amy.events as ChatEvent[])[0]?.type, "error");
  assert.equal(texts(amy.events)[0]?.length, 1100);
});

Deno.test("udp: the client gives up when nothing is acknowledged, and says so", () => {
  const net = new Net();
  const bob = member(net, "bob");
  net.wire = (p) => (p.toServer ? 0 : 1);
  net.send(bob, { type: "say", text: "anyone?" });
  net.advance(30_000, 100);
  assert.equal(bob.closed, true);
  const last = bob.events.at(-1);
  assert.ok(
    last?.type === "error" && last.fatal && last.code === "UNAVAILABLE",
  );
  assert.match(last.message, /^Cannot (deliver to|hear) the server/);
});
