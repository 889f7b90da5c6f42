// The datagram transport end to end in memory (core/datagram/server.ts and
// core/datagram/client.ts over tests/core/datagram/_net.ts): tokens,
// refusals, reliability, loss, packing, limits, timeouts, text sessions.

import assert from "node:assert/strict";
import {
  type Decoded,
  decodeFrames,
  encodeFrame,
} from "../../../core/codec/mod.ts";
import { MIN_HELLO_DATAGRAM } from "../../../core/datagram/limits.ts";
import { addMember } from "../../../core/member.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { Net, type NetClient } from "./_net.ts";
import { concat } from "../../_bytes.ts";

const hello = encodeFrame({ type: "hello", version: 1, software: "t" });

function padded(size = MIN_HELLO_DATAGRAM, first = hello): Uint8Array {
  return concat(
    first,
    encodeFrame({ type: "pad", length: size - first.length - 6 }),
  );
}

function frames(bytes: Uint8Array): Decoded[] {
  return decodeFrames(bytes);
}

/** A client that joined `lobby` as `name`; its events are cleared. */
function member(net: Net, name: string): NetClient {
  const c = net.client();
  net.run();
  assert.equal(c.client.state, "open");
  net.send(c, { type: "join", room: "lobby", name });
  net.run();
  assert.equal(c.events.at(-1)?.type, "welcome", JSON.stringify(c.events));
  c.events.length = 0;
  return c;
}

/** The token the server gave a client (from the TOKEN frame it sent). */
function tokenOf(net: Net, c: NetClient): string {
  for (const p of net.fromServer) {
    if (p.client !== c.address) continue;
    for (const f of frames(p.bytes)) {
      if (!(f instanceof Error) && f.type === "token") return f.token;
    }
  }
  throw new Error("no token sent to that client");
}

function texts(events: readonly ChatEvent[]): string[] {
  return events.flatMap((e) => e.type === "message" ? [e.text] : []);
}

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

Deno.test("udp: an event too large for a datagram reaches UDP members as a non-fatal error", async () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bot = await addMember(net.chat, { name: "bot" });
  net.run();
  amy.events.length = 0;
  bot.say("y".repeat(3000));
  bot.say("short");
  net.run();
  assert.equal(amy.events.length, 2);
  const [e, m] = amy.events;
  assert.ok(e?.type === "error" && e.code === "DATAGRAM_TOO_LARGE" && !e.fatal);
  assert.match(e.message, /^Cannot deliver a message from bot: /);
  assert.deepEqual(m, {
    type: "message",
    room: "lobby",
    from: "bot",
    text: "short",
  });
});

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

Deno.test("udp: events pending for a member go out in as few datagrams as fit", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const before = net.fromServer.length;
  for (let i = 0; i < 100; i++) net.chat.announce(`announcement number ${i}`);
  net.run();
  const datagrams = net.fromServer.slice(before);
  const total = datagrams.reduce((n, p) => n + p.bytes.length, 0);
  assert.ok(datagrams.every((p) => p.bytes.length <= 1200));
  assert.equal(datagrams.length, Math.ceil(total / (1200 - 40)));
  assert.equal(amy.events.length, 100);
  assert.equal(amy.lost, 0);
});

Deno.test("udp: a member that goes silent times out and the room is told", () => {
  const net = new Net({ idleTimeoutMs: 3000 });
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  // amy pings (her client ticks); bob's datagrams stop reaching the server.
  net.wire = (p) => (p.toServer && p.client === bob.address ? 0 : 1);
  net.advance(5000, 100);
  assert.deepEqual(amy.events.filter((e) => e.type !== "pong"), [
    { type: "left", room: "lobby", name: "bob", reason: "timeout" },
  ]);
  assert.equal(amy.closed, false);
  assert.equal(net.server.sessions, 1);
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

Deno.test("udp: LEAVE ends the session; its token is refused afterwards", () => {
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

Deno.test("udp: shutdown tells every UDP member", async () => {
  const net = new Net();
  const amy = member(net, "amy");
  await net.chat.shutdown();
  net.run();
  assert.deepEqual(amy.events.at(-1), {
    type: "left",
    room: "lobby",
    name: "amy",
    reason: "shutdown",
  });
  assert.equal(amy.closed, true);
  assert.equal(net.server.sessions, 0);
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

Deno.test("udp: text datagrams (nc -u): the first is the name, then lines both ways", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const nc = net.address();
  const enc = new TextEncoder();
  const dec = (ps: { bytes: Uint8Array }[]) =>
    ps.map((p) => new TextDecoder().decode(p.bytes)).join("");
  assert.equal(
    dec(net.inject(enc.encode("amy\n"), nc)),
    'error NAME_TAKEN: Cannot join room "lobby": name "amy" is taken\ntry another name: ',
  );
  assert.equal(
    dec(net.inject(enc.encode("bob\n"), nc)),
    "you are bob in lobby; in lobby (2): amy, bob\n",
  );
  net.inject(enc.encode("hi amy"), nc); // no line break: the datagram ends the line
  net.run();
  assert.deepEqual(texts(amy.events), ["hi amy"]);
  net.send(amy, { type: "say", text: "hi bob" });
  net.run();
  assert.equal(
    dec(net.fromServer.filter((p) => p.client === nc).slice(-1)),
    "amy says: hi bob\n",
  );
  assert.equal(
    dec(net.inject(enc.encode("/lang zh\n/quit\n"), nc)),
    "语言: 中文\nbob 退出了聊天室\n",
  );
  assert.equal(net.server.sessions, 1);
});

Deno.test("udp: text mode can be turned off", () => {
  const net = new Net({ textIdleTimeoutMs: 0 });
  const [r] = net.inject(
    new TextEncoder().encode("bob, a name long enough\n"),
    net.address(),
  );
  assert.equal(new TextDecoder().decode(r!.bytes), "text mode is off on UDP\n");
  assert.equal(net.chat.size, 0);
});

Deno.test("udp: a configured datagram size is announced and enforced", () => {
  const net = new Net({ datagramSize: 600 });
  const [reply] = net.inject(padded(), net.address());
  const token = frames(reply!.bytes)[1];
  assert.ok(token && !(token instanceof Error) && token.type === "token");
  assert.equal(token.maxDatagram, 600);
  const amy = member(net, "amy");
  assert.equal(amy.client.datagramSize, 600);
  const big = new Uint8Array(601);
  big[0] = 0xab;
  const [e] = net.inject(big, net.address()).flatMap((p) => frames(p.bytes));
  assert.ok(e && !(e instanceof Error) && e.type === "error");
  assert.equal(e.code, "DATAGRAM_TOO_LARGE");
  for (let i = 0; i < 30; i++) net.chat.announce(`announcement ${i}`);
  net.run();
  assert.ok(net.fromServer.every((p) => p.bytes.length <= 600));
  assert.equal(amy.events.length, 30);
});

Deno.test("udp: a silent text member (nc -u) is removed after the text timeout", () => {
  const net = new Net({ textIdleTimeoutMs: 2000 });
  const amy = member(net, "amy");
  net.inject(new TextEncoder().encode("bob\n"), net.address());
  net.run();
  amy.events.length = 0;
  net.advance(1500, 100);
  assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
  net.advance(1500, 100);
  assert.deepEqual(amy.events.filter((e) => e.type === "left"), [
    { type: "left", room: "lobby", name: "bob", reason: "timeout" },
  ]);
});
