// The client's numbering of server events (core/datagram/event_sequence.ts),
// end to end in memory: gaps counted as lost.

import assert from "node:assert/strict";
import { member, Net } from "./_net.ts";

Deno.test("udp: lost server datagrams are counted by the client", () => {
  const net = new Net();
  const amy = member(net, "amy");
  net.chat.announce("one");
  net.run();
  let n = 0;
  net.wire = (p) => (!p.toServer && n++ < 2 ? 0 : 1);
  net.chat.announce("two");
  net.run();
  net.chat.announce("three");
  net.run();
  assert.equal(amy.lost, 0); // nothing seen yet after the gap
  net.chat.announce("four");
  net.run();
  assert.equal(amy.lost, 2);
  assert.deepEqual(
    amy.events.flatMap((e) => e.type === "announcement" ? [e.text] : []),
    ["one", "four"],
  );
});
