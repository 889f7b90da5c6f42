// The server-to-client direction of datagram sessions
// (core/datagram/outbound.ts), end to end in memory: frames made to fit,
// events packed into as few datagrams as fit.

import assert from "node:assert/strict";
import { addMember } from "../../../core/member.ts";
import { member, Net } from "./_net.ts";

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
