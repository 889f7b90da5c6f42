// The datagram server (core/datagram/server.ts) end to end in memory with
// clients (core/datagram/client.ts) over tests/core/datagram/_net.ts:
// timeouts, shutdown, the configured size, text sessions (nc -u).

import assert from "node:assert/strict";
import { frames, member, Net, padded, texts } from "./_net.ts";

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

Deno.test("udp: a text datagram over the datagram size is refused, not read", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const nc = net.address();
  const enc = new TextEncoder();
  const dec = (ps: { bytes: Uint8Array }[]) =>
    ps.map((p) => new TextDecoder().decode(p.bytes)).join("");
  dec(net.inject(enc.encode("bob\n"), nc));
  const line = "x".repeat(1499) + "\n"; // 1,500 bytes: over 1,200
  assert.equal(
    dec(net.inject(enc.encode(line), nc)),
    "error DATAGRAM_TOO_LARGE: Cannot accept datagram: 1500 bytes exceeds the limit of 1200\n",
  );
  net.run();
  assert.deepEqual(texts(amy.events), []);
  assert.equal(net.server.stats.tooLarge, 1);
  // At the limit it is read (too long a message for amy's datagrams, but
  // not refused as a datagram), and a shorter one reaches her.
  assert.doesNotMatch(
    dec(net.inject(enc.encode("y".repeat(1199) + "\n"), nc)),
    /DATAGRAM_TOO_LARGE/,
  );
  assert.equal(net.server.stats.tooLarge, 1);
  net.inject(enc.encode("z".repeat(600) + "\n"), nc);
  net.run();
  assert.deepEqual(texts(amy.events).at(-1), "z".repeat(600));
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

Deno.test("udp: after a text member left (/quit, timeout), the next datagram from its address gets the name prompt, not a session named after it", () => {
  const net = new Net({ textIdleTimeoutMs: 2000 });
  const amy = member(net, "amy");
  const nc = net.address();
  const enc = new TextEncoder();
  const dec = (ps: { bytes: Uint8Array }[]) =>
    ps.map((p) => new TextDecoder().decode(p.bytes)).join("");
  net.inject(enc.encode("bob\n"), nc);
  assert.equal(
    dec(net.inject(enc.encode("/quit\n"), nc)),
    "bob left the room\n",
  );
  net.run();
  amy.events.length = 0;
  // nc -u is still open: the next line typed is not a name.
  assert.equal(
    dec(net.inject(enc.encode("are you there?\n"), nc)),
    "name (名字): ",
  );
  net.run();
  assert.equal(amy.events.length, 0, "nobody joined as 'are you there?'");
  assert.equal(
    dec(net.inject(enc.encode("bob\n"), nc)),
    "you are bob in lobby; in lobby (2): amy, bob\n",
  );
  // The same after a timeout.
  net.advance(2500, 100);
  assert.deepEqual(amy.events.filter((e) => e.type === "left"), [
    { type: "left", room: "lobby", name: "bob", reason: "timeout" },
  ]);
  assert.equal(
    dec(net.inject(enc.encode("back again\n"), nc)),
    "name (名字): ",
  );
  // A new address still joins with its first datagram.
  assert.equal(
    dec(net.inject(enc.encode("cy\n"), net.address())),
    "you are cy in lobby; in lobby (2): amy, cy\n",
  );
});
