// Server-Sent Events over a real socket, with a reader that stops reading:
// it is cut off as a slow consumer without holding up the room, and it does
// not hold up the server's shutdown either.

import assert from "node:assert/strict";
import type { HttpListener } from "../../../adapters/http/app.ts";
import { serve, type Server } from "../../../adapters/server/serve.ts";
import type { ChatEvent } from "../../../core/events.ts";
import type { Limits } from "../../../core/limits.ts";
import { addMember } from "../../../core/member.ts";

const ADMIN = "sse-test-admin-token-0123456789";

/** A raw HTTP client that asks for the event stream and then reads nothing. */
async function stalledReader(base: string, token: string): Promise<Deno.Conn> {
  const u = new URL(base);
  const conn = await Deno.connect({
    hostname: u.hostname,
    port: Number(u.port),
  });
  const request =
    `GET /api/rooms/lobby/events HTTP/1.1\r\nHost: ${u.host}\r\n` +
    `Authorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  return conn;
}

/** Read until the server closes, at most `limit` bytes and 10 s. */
async function drain(conn: Deno.Conn, limit = 64 << 20): Promise<number> {
  const buf = new Uint8Array(64 * 1024);
  let total = 0;
  const deadline = Date.now() + 10_000;
  while (total < limit && Date.now() < deadline) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    total += n;
  }
  return total;
}

async function setup(limits: Partial<Limits>) {
  const server: Server = await serve({
    transports: ["http"],
    limits: { messagesPerSecond: 0, ...limits },
    http: { port: 0, adminToken: ADMIN },
  });
  const base = (server.listeners[0] as HttpListener).url;
  const heard: ChatEvent[] = [];
  const amy = await addMember(server.chat, {
    name: "amy",
    onEvent: (e) => heard.push(e),
  });
  const res = await fetch(`${base}/api/rooms/lobby/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "sloth" }),
  });
  const { token } = await res.json();
  const sloth = await stalledReader(base, token);
  // Let the stream start (its welcome is queued at once).
  await new Promise((r) => setTimeout(r, 50));
  return { server, amy, heard, sloth };
}

Deno.test("sse: a reader that stops reading is cut off as a slow consumer; the room goes on", async () => {
  const { server, amy, heard, sloth } = await setup({
    outboundBytes: 256 * 1024,
  });
  try {
    const text = "x".repeat(4000);
    // Bounded: 4000 messages (16 MB) or 10 s.
    const deadline = Date.now() + 10_000;
    let sent = 0;
    while (!heard.some((e) => e.type === "left")) {
      assert.ok(
        sent < 4000 && Date.now() < deadline,
        `still there after ${sent}`,
      );
      for (let i = 0; i < 16; i++) amy.say(text);
      sent += 16;
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.deepEqual(heard.filter((e) => e.type === "left"), [
      { type: "left", room: "lobby", name: "sloth", reason: "slow_consumer" },
    ]);
    assert.equal(server.chat.stats.slowConsumers, 1);
    // What the kernel held arrives, then the connection ends.
    const got = await drain(sloth);
    assert.ok(got > 0 && got < sent * 4000, `${got} bytes`);
  } finally {
    sloth.close();
    await server.shutdown();
  }
});

Deno.test("sse: shutdown does not wait for a reader that stopped reading", async () => {
  const { server, amy, sloth } = await setup({
    outboundBytes: 32 * 1024 * 1024,
  });
  try {
    const text = "z".repeat(4000);
    for (let i = 0; i < 2500; i++) amy.say(text); // 10 MB, under the limit
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.shutdown();
    const took = Date.now() - started;
    assert.ok(took < 4000, `shutdown took ${took} ms`);
  } finally {
    sloth.close();
    await server.shutdown();
  }
});
