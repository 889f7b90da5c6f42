// The WebSocket subprotocols of GET /api/ws (docs/http.md §5) against a real
// server: which one the server picks, how many events a message carries in
// each (an old one-per-message client still gets one per message), and the
// binary subprotocol's commands (frames, with `auth` as JSON text).

import assert from "node:assert/strict";
import type { HttpListener } from "../../../adapters/http/app.ts";
import { serve, type Server } from "../../../adapters/server/serve.ts";
import { encodeFrame, FrameType } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { concat } from "../../_bytes.ts";
import { connectStream, type TestClient } from "../_client.ts";
import { connectWs, type WsTestClient } from "../_ws_client.ts";

const ADMIN = "ws-protocol-admin-token-0123456789";

interface Urls {
  tcp: string;
  http: string;
}

async function withServer(fn: (u: Urls) => Promise<void>): Promise<void> {
  const server: Server = await serve({
    transports: ["tcp", "http"],
    port: 0,
    limits: { messagesPerSecond: 0 },
    http: { port: 0, adminToken: ADMIN },
  });
  try {
    await fn({
      tcp: server.listeners.find((l) => l.transport === "tcp")!.url,
      http: (server.listeners.find((l) =>
        l.transport === "http"
      ) as HttpListener).url,
    });
  } finally {
    await server.shutdown();
  }
}

async function join(c: TestClient, name: string): Promise<void> {
  c.send({ type: "join", room: "lobby", name });
  for (;;) {
    const e = await c.next();
    if (e.type === "welcome") return;
    assert.equal(e.type, "joined", JSON.stringify(e));
  }
}

function said(text: string): ChatEvent {
  return { type: "message", room: "lobby", from: "tcp", text };
}

Deno.test("ws protocols: the server speaks the first subprotocol offered that it knows", async () => {
  await withServer(async ({ http }) => {
    const cases: [string[], string | undefined][] = [
      [
        ["roomcast.binary.v1", "roomcast.batch.v1", "roomcast.v1"],
        "roomcast.binary.v1",
      ],
      [["roomcast.v1", "roomcast.binary.v1"], "roomcast.v1"],
      [["roomcast.v9", "roomcast.batch.v1"], "roomcast.batch.v1"],
      [["roomcast.v1"], "roomcast.v1"],
      [[], undefined],
    ];
    for (const [offered, picked] of cases) {
      const c = await connectWs(http, { protocols: offered });
      try {
        assert.equal(c.handshake.status, 101);
        assert.equal(c.protocol, picked, offered.join(", "));
        await join(c, "probe");
      } finally {
        await c.close();
      }
    }
  });
});

Deno.test("ws protocols: the events of a turn come as one message in the batched subprotocols, one per message in roomcast.v1", async () => {
  await withServer(async ({ tcp, http }) => {
    const clients: TestClient[] = [];
    try {
      const by = new Map<string, WsTestClient>();
      for (
        const p of ["roomcast.v1", "roomcast.batch.v1", "roomcast.binary.v1"]
      ) {
        const c = await connectWs(http, { protocols: [p] });
        clients.push(c);
        by.set(p, c);
        await join(c, p.replaceAll(".", "-"));
      }
      const writer = await connectStream(tcp);
      clients.push(writer);
      writer.send({ type: "hello", version: 1, software: "test/1" });
      await writer.next();
      await join(writer, "tcp");
      for (const c of by.values()) {
        // Whoever joined after it, the writer last.
        for (;;) {
          const e = await c.next();
          assert.equal(e.type, "joined");
          if (e.type === "joined" && e.name === "tcp") break;
        }
        Object.assign(c.received, { text: 0, binary: 0, events: 0 });
      }
      // Twenty messages in one write: one turn of the server's.
      const texts = Array.from({ length: 20 }, (_, i) => `m${i}`);
      writer.sendRaw(concat(
        ...texts.map((text) => encodeFrame({ type: "say", text })),
      ));
      for (const c of by.values()) {
        for (const t of texts) assert.deepEqual(await c.next(), said(t));
      }
      const v1 = by.get("roomcast.v1")!.received;
      assert.deepEqual(v1, { text: 20, binary: 0, events: 20 });
      const batch = by.get("roomcast.batch.v1")!.received;
      assert.equal(batch.binary, 0);
      assert.ok(batch.text < 20, JSON.stringify(batch));
      const binary = by.get("roomcast.binary.v1")!.received;
      assert.equal(binary.text, 0);
      assert.ok(binary.binary < 20, JSON.stringify(binary));
    } finally {
      for (const c of clients) await c.close();
    }
  });
});

Deno.test("ws protocols: binary commands are frames, several per message and split across messages; auth stays JSON text", async () => {
  await withServer(async ({ http }) => {
    const clients: WsTestClient[] = [];
    try {
      const res = await fetch(`${http}/api/rooms/lobby/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "amy" }),
      });
      const { token } = await res.json();
      const amy = await connectWs(http, { protocols: ["roomcast.binary.v1"] });
      clients.push(amy);
      amy.send({ type: "auth", token }); // JSON text: there is no frame
      assert.equal((await amy.next()).type, "welcome"); // from the POST
      assert.equal((await amy.next()).type, "welcome");
      const bob = await connectWs(http, { protocols: ["roomcast.binary.v1"] });
      clients.push(bob);
      // HELLO, JOIN and a SAY in one message, then a SAY cut in two.
      bob.sendBinary(concat(
        encodeFrame({ type: "hello", version: 1, software: "test/1" }),
        encodeFrame({ type: "join", room: "lobby", name: "bob" }),
        encodeFrame({ type: "say", text: "one" }),
      ));
      assert.equal((await bob.next()).type, "hello_ok");
      assert.equal((await bob.next()).type, "welcome");
      const two = encodeFrame({ type: "say", text: "two" });
      bob.sendBinary(two.subarray(0, 4));
      bob.sendBinary(two.subarray(4));
      assert.deepEqual(await amy.next(), {
        type: "joined",
        room: "lobby",
        name: "bob",
      });
      for (const text of ["one", "two"]) {
        assert.deepEqual(await amy.next(), {
          type: "message",
          room: "lobby",
          from: "bob",
          text,
        });
      }
      // JSON commands are still taken; a bad frame is refused with an
      // ERROR frame and the session goes on.
      bob.sendText(JSON.stringify({ type: "say", text: "three" }));
      assert.equal((await amy.next()).type, "message");
      bob.sendBinary(new Uint8Array([0xab, FrameType.SAY, 0, 0, 0, 1, 0]));
      const e = await bob.next();
      assert.equal(e.type === "error" && e.code, "FRAME_MALFORMED");
      assert.equal(e.type === "error" && e.fatal, false);
      bob.send({ type: "say", text: "four" });
      assert.equal((await amy.next()).type, "message");
    } finally {
      for (const c of clients) await c.close();
    }
  });
});
