// Refusals of the datagram server (core/datagram/refusals.ts), end to end
// in memory: never answered with more bytes than they came with, rate
// limits per address.

import assert from "node:assert/strict";
import { encodeFrame } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { frames, hello, member, Net, padded } from "./_net.ts";
import { concat } from "../../_bytes.ts";

Deno.test("udp: an unpadded HELLO is refused with DATAGRAM_TOO_SMALL and no session", () => {
  const net = new Net();
  const small = padded(100);
  const [reply] = net.inject(small, net.address());
  assert.ok(reply!.bytes.length <= small.length);
  const [e] = frames(reply!.bytes);
  assert.ok(e && !(e instanceof Error) && e.type === "error");
  assert.equal(e.code, "DATAGRAM_TOO_SMALL");
  assert.equal(net.server.sessions, 0);
  assert.deepEqual(net.inject(hello, net.address()).length, 1);
  assert.equal(net.server.sessions, 0);
});

Deno.test("udp: commands without a token are refused with BAD_TOKEN, never with more bytes", () => {
  const net = new Net();
  for (
    const bytes of [
      encodeFrame({ type: "join", room: "lobby", name: "mal" }),
      encodeFrame({ type: "say", text: "x".repeat(500) }),
      padded(300, encodeFrame({ type: "say", text: "hi" })),
      encodeFrame({ type: "leave" }),
    ]
  ) {
    const replies = net.inject(bytes, net.address());
    assert.ok(replies.length <= 1);
    for (const r of replies) {
      assert.ok(r.bytes.length <= bytes.length);
      const [e] = frames(r.bytes);
      assert.ok(e && !(e instanceof Error) && e.type === "error");
      assert.equal(e.code, "BAD_TOKEN");
      assert.equal(e.fatal, true);
    }
  }
  assert.equal(net.server.sessions, 0);
  assert.equal(net.chat.size, 0);
});

Deno.test("udp: garbage and oversized datagrams are refused; a session's oversized one is answered in it", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const from = net.address();
  for (
    const garbage of [
      new Uint8Array([0xab, 0x03, 0, 0, 0, 9, 1, 2]), // cut short
      new Uint8Array([0xab, 0x03, 0, 0, 0, 0, 0xab]), // bytes after a frame
      concat(new Uint8Array([0xab, 0x7f, 0, 0, 0, 40]), new Uint8Array(40)),
    ]
  ) {
    for (const r of net.inject(garbage, from)) {
      assert.ok(r.bytes.length <= garbage.length);
      assert.equal(
        frames(r.bytes)[0] && (frames(r.bytes)[0] as ChatEvent).type,
        "error",
      );
    }
  }
  const big = new Uint8Array(1300);
  big[0] = 0xab;
  const [r] = net.inject(big, from);
  const [e] = frames(r!.bytes);
  assert.ok(e && !(e instanceof Error) && e.type === "error");
  assert.equal(e.code, "DATAGRAM_TOO_LARGE");
  assert.equal(net.server.stats.tooLarge, 1);
  // A raw session sends one too large: it is told, and the seq is acked so
  // that a client would stop sending it again.
  const raw = net.address();
  const [opened] = net.inject(padded(), raw);
  const token = (frames(opened!.bytes)[1] as { token: string }).token;
  const oversized = concat(
    encodeFrame({ type: "envelope", token, seq: 1 }),
    encodeFrame({ type: "say", text: "z".repeat(1300) }),
  );
  const answer = net.inject(oversized, raw).flatMap((p) => frames(p.bytes));
  assert.deepEqual(answer.slice(1), [
    { type: "ack", ack: 1, mask: 0 },
    {
      type: "error",
      code: "DATAGRAM_TOO_LARGE",
      fatal: false,
      message: "Cannot accept datagram: 1334 bytes exceeds the limit of 1200",
    },
  ]);
  net.run();
  assert.deepEqual(amy.events, []);
  assert.equal(net.server.sessions, 2);
});

Deno.test("udp: floods from one address are dropped without touching others", () => {
  const net = new Net({ datagramsPerSecond: 10 });
  const amy = member(net, "amy");
  const flood = net.address();
  let answered = 0;
  for (let i = 0; i < 500; i++) {
    const bytes = encodeFrame({ type: "say", text: "x".repeat(100) });
    answered += net.inject(bytes, flood).length;
  }
  assert.equal(answered, 20); // the burst, then silence
  assert.equal(net.server.stats.rateLimited, 480);
  net.chat.announce("still here");
  net.run();
  assert.deepEqual(amy.events, [{
    type: "announcement",
    room: null,
    text: "still here",
  }]);
});

Deno.test("udp: a session's datagram that is not whole frames is acknowledged and answered in the session", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const raw = net.address();
  const [opened] = net.inject(padded(), raw);
  const token = (frames(opened!.bytes)[1] as { token: string }).token;
  for (
    const [seq, tail, code] of [
      [1, new Uint8Array([0xab, 0x03, 0, 0, 0, 9, 1, 2]), "FRAME_MALFORMED"],
      [2, new Uint8Array([0x00, 0x03, 0, 0, 0, 0]), "FRAME_MALFORMED"],
      [3, new Uint8Array([0xab, 0x03, 0, 1, 0, 1]), "FRAME_TOO_LARGE"],
    ] as const
  ) {
    const bytes = concat(
      encodeFrame({ type: "envelope", token, seq }),
      tail,
    );
    const answer = net.inject(bytes, raw).flatMap((p) => frames(p.bytes));
    assert.equal((answer[0] as { type: string }).type, "seq");
    assert.deepEqual(answer[1], { type: "ack", ack: seq, mask: 0 });
    const e = answer[2] as ChatEvent;
    assert.ok(e.type === "error", JSON.stringify(answer));
    assert.equal(e.code, code);
    assert.equal(e.fatal, false);
  }
  net.run();
  assert.deepEqual(amy.events, []);
  assert.equal(net.server.sessions, 2);
});
