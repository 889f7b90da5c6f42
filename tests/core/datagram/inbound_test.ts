// The client-to-server direction of datagram sessions
// (core/datagram/inbound.ts), end to end in memory: exactly once, in order,
// under loss, duplication and reordering; per-session rates; roaming.

import assert from "node:assert/strict";
import { encodeFrame } from "../../../core/codec/mod.ts";
import { addMember } from "../../../core/member.ts";
import { frames, member, Net, texts } from "./_net.ts";
import { concat } from "../../_bytes.ts";

Deno.test("udp: a retransmitted datagram is handled once and acknowledged each time", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  net.wire = (
    p,
  ) => (p.toServer &&
      frames(p.bytes).some((f) => !(f instanceof Error) && f.type === "say")
    ? 3
    : 1);
  net.send(bob, { type: "say", text: "once" });
  net.run();
  assert.deepEqual(texts(amy.events), ["once"]);
  assert.equal(net.server.stats.duplicates, 2);
});

Deno.test("udp: a message whose first datagram is lost is delivered exactly once", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  let dropped = 0;
  net.wire = (p) => {
    const say = p.toServer &&
      frames(p.bytes).some((f) => !(f instanceof Error) && f.type === "say");
    if (say && dropped === 0) {
      dropped++;
      return 0;
    }
    return 1;
  };
  net.send(bob, { type: "say", text: "first" }, {
    type: "say",
    text: "second",
  });
  net.run();
  assert.deepEqual(amy.events, []);
  net.advance(1000);
  assert.equal(dropped, 1);
  assert.deepEqual(texts(amy.events), ["first", "second"]);
  assert.equal(bob.client.idle, true);
});

Deno.test("udp: under random loss, duplication and reordering every message arrives once, in order", async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const net = new Net({}, { messagesPerSecond: 0 });
    const heard: string[] = [];
    await addMember(net.chat, {
      name: "ear",
      onEvent: (e) => e.type === "message" && heard.push(e.text),
    });
    const bob = member(net, "bob");
    let s = seed;
    const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
    net.wire = () => {
      const r = rand();
      if (r < 0.25) return 0; // lost
      if (r < 0.35) return 2; // duplicated
      if (r < 0.5) return -1; // overtaken by later datagrams
      return 1;
    };
    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      const text = `m${i}`;
      sent.push(text);
      net.send(bob, { type: "say", text });
      if (i % 7 === 0) net.run();
    }
    net.run();
    net.advance(20_000);
    assert.deepEqual(heard, sent, `seed ${seed}`);
    assert.equal(bob.client.idle, true);
    assert.equal(bob.closed, false);
  }
});

Deno.test("udp: a session over its own rate is slowed down, not broken", () => {
  const net = new Net({ datagramsPerSecond: 5 }, { messagesPerSecond: 0 });
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  for (let i = 0; i < 40; i++) {
    net.send(bob, { type: "say", text: `n${i}` });
    net.run(); // one datagram each
  }
  net.advance(20_000, 100);
  assert.deepEqual(
    texts(amy.events),
    Array.from({ length: 40 }, (_, i) => `n${i}`),
  );
});

Deno.test("udp: a client whose address changes keeps its session", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  // A NAT rebinding: bob's datagrams now come from another port.
  const moved = net.address();
  const token = (frames(
    net.fromServer.findLast((p) => p.client === bob.address)!.bytes,
  )[0] as { token: string }).token;
  const replies = net.inject(
    concat(
      encodeFrame({ type: "envelope", token, seq: 2 }),
      encodeFrame({ type: "say", text: "from my new address" }),
    ),
    moved,
  );
  net.run();
  assert.deepEqual(texts(amy.events), ["from my new address"]);
  assert.equal(replies.length, 1); // the ACK went to the new address
});
