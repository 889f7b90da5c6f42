// The session table of the datagram server (core/datagram/sessions.ts), end
// to end in memory: a HELLO's answer, tokens looked up in constant time,
// handshakes bounded, sessions forgotten when they end.

import assert from "node:assert/strict";
import { encodeFrame } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { frames, member, Net, padded, texts, tokenOf } from "./_net.ts";
import { concat } from "../../_bytes.ts";

Deno.test("udp: a padded HELLO gets SEQ, TOKEN and HELLO_OK in one datagram no larger than it", () => {
  const net = new Net();
  const from = net.address();
  const bytes = padded();
  const [reply, ...more] = net.inject(bytes, from);
  assert.deepEqual(more, []);
  assert.ok(reply!.bytes.length <= bytes.length);
  const [seq, token, ok] = frames(reply!.bytes);
  assert.ok(seq && !(seq instanceof Error) && seq.type === "seq");
  assert.equal(seq.seq, 1);
  assert.ok(token && !(token instanceof Error) && token.type === "token");
  assert.equal(token.token, seq.token);
  assert.match(token.token, /^[0-9a-f]{32}$/);
  assert.deepEqual(
    [token.idleTimeoutMs, token.pingIntervalMs, token.maxDatagram],
    [30_000, 10_000, 1200],
  );
  assert.equal((ok as ChatEvent).type, "hello_ok");
  // The answer was lost: the same HELLO gets the same answer, same token.
  const [again] = net.inject(bytes, from);
  assert.deepEqual(again!.bytes, reply!.bytes);
  assert.equal(net.server.sessions, 1);
});

Deno.test("udp: a forged token (another session's id, wrong secret) is refused and harms nobody", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  const real = tokenOf(net, bob);
  for (const at of [8, 20, 31]) {
    // Keep the id (first 8 hex digits), change one digit of the secret.
    const token = real.slice(0, at) + (real[at] === "0" ? "1" : "0") +
      real.slice(at + 1);
    const bytes = concat(
      encodeFrame({ type: "envelope", token, seq: 1 }),
      encodeFrame({ type: "say", text: "I am amy" }),
      encodeFrame({ type: "leave" }),
    );
    const [r] = net.inject(bytes, net.address());
    const [e] = frames(r!.bytes);
    assert.ok(e && !(e instanceof Error) && e.type === "error");
    assert.equal(e.code, "BAD_TOKEN");
  }
  net.run();
  assert.deepEqual(amy.events, []);
  assert.deepEqual(bob.events, []);
  net.send(bob, { type: "say", text: "still me" });
  net.run();
  assert.deepEqual(texts(amy.events), ["still me"]);
});

Deno.test("udp: a session opened from a forged address is never sent more bytes than its HELLO had", () => {
  const net = new Net({}, { joinTimeoutMs: 1000 });
  const victim = net.address();
  const hello = padded();
  assert.equal(net.inject(hello, victim).length, 1);
  net.chat.announce("not for you"); // not joined: nothing
  net.advance(3000);
  const sent = net.fromServer.filter((p) => p.client === victim);
  // The HELLO's answer, then the JOIN_TIMEOUT: together within 256 bytes.
  assert.equal(sent.length, 2);
  assert.ok(sent.reduce((n, p) => n + p.bytes.length, 0) <= hello.length);
  const last = frames(sent[1]!.bytes).at(-1) as ChatEvent;
  assert.ok(last.type === "error" && last.code === "JOIN_TIMEOUT");
  assert.equal(net.server.sessions, 0);
});

Deno.test("udp: HELLOs beyond the handshake limit push out the oldest", () => {
  const net = new Net({ handshakes: 3 });
  for (let i = 0; i < 10; i++) net.inject(padded(), net.address());
  assert.equal(net.server.sessions, 3);
  assert.equal(net.chat.size, 3);
  const amy = member(net, "amy"); // a real client still gets in
  assert.equal(amy.client.state, "open");
});

Deno.test("udp: LEAVE ends the session and the room is told", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  net.send(bob, { type: "leave" });
  net.run();
  assert.deepEqual(bob.events.at(-1), {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "quit",
  });
  assert.equal(bob.closed, true);
  assert.deepEqual(amy.events, [{
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "quit",
  }]);
  assert.equal(net.server.sessions, 1);
});

Deno.test("udp: a LEAVE sent again after the session ended gets its last datagram again; after idle_ms, BAD_TOKEN", () => {
  const net = new Net();
  const raw = net.address();
  const [opened] = net.inject(padded(), raw);
  const token = (frames(opened!.bytes)[1] as { token: string }).token;
  const join = concat(
    encodeFrame({ type: "envelope", token, seq: 1 }),
    encodeFrame({ type: "join", room: "lobby", name: "bob" }),
  );
  net.inject(join, raw);
  const leave = concat(
    encodeFrame({ type: "envelope", token, seq: 2 }),
    encodeFrame({ type: "leave" }),
  );
  const [last] = net.inject(leave, raw);
  const left = {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "quit",
  } as const;
  assert.deepEqual(frames(last!.bytes), [
    { type: "seq", token, seq: 3 },
    { type: "ack", ack: 2, mask: 0 },
    left,
  ]);
  assert.equal(net.server.sessions, 0);
  // The answer was lost: the same LEAVE again gets the same datagram (same
  // event number, so a client that had it drops it as a duplicate).
  const again = net.inject(leave, raw);
  assert.equal(again.length, 1);
  assert.deepEqual(again[0]!.bytes, last!.bytes);
  // Anything else with the token from elsewhere is refused as before.
  const [other] = net.inject(leave, net.address());
  assert.equal((frames(other!.bytes)[0] as ChatEvent).type, "error");
  assert.equal(net.chat.size, 0);
  // After idle_ms the session is forgotten for good.
  net.clock.advance(30_000);
  net.server.sweep();
  const [late] = net.inject(leave, raw);
  const e = frames(late!.bytes)[0] as ChatEvent;
  assert.ok(e.type === "error" && e.code === "BAD_TOKEN" && e.fatal);
});

Deno.test("udp: a LEAVE before JOIN is acknowledged with no LEFT, again if sent again", () => {
  const net = new Net();
  const raw = net.address();
  const [opened] = net.inject(padded(), raw);
  const token = (frames(opened!.bytes)[1] as { token: string }).token;
  const leave = concat(
    encodeFrame({ type: "envelope", token, seq: 1 }),
    encodeFrame({ type: "leave" }),
  );
  const [last] = net.inject(leave, raw);
  assert.deepEqual(frames(last!.bytes), [
    { type: "seq", token, seq: 2 },
    { type: "ack", ack: 1, mask: 0 },
  ]);
  assert.deepEqual(net.inject(leave, raw).map((p) => p.bytes), [last!.bytes]);
  assert.equal(net.server.sessions, 0);
});

Deno.test("udp: a session removed by the server answers a late datagram with its LEFT again", () => {
  const net = new Net({ idleTimeoutMs: 3000 });
  const raw = net.address();
  const [opened] = net.inject(padded(), raw);
  const token = (frames(opened!.bytes)[1] as { token: string }).token;
  net.inject(
    concat(
      encodeFrame({ type: "envelope", token, seq: 1 }),
      encodeFrame({ type: "join", room: "lobby", name: "bob" }),
    ),
    raw,
  );
  net.advance(4000, 500);
  const removed = net.fromServer.at(-1)!;
  assert.deepEqual(frames(removed.bytes).at(-1), {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "timeout",
  });
  const say = concat(
    encodeFrame({ type: "envelope", token, seq: 2 }),
    encodeFrame({ type: "say", text: "am I still here?" }),
  );
  assert.deepEqual(net.inject(say, raw).map((p) => p.bytes), [removed.bytes]);
});

Deno.test("udp: the empty ENVELOPE (seq 0) that confirms an address gets no answer", () => {
  const net = new Net();
  const raw = net.address();
  const [opened] = net.inject(padded(), raw);
  const token = (frames(opened!.bytes)[1] as { token: string }).token;
  assert.deepEqual(
    net.inject(encodeFrame({ type: "envelope", token, seq: 0 }), raw),
    [],
  );
  net.run();
  assert.equal(net.server.sessions, 1);
});
