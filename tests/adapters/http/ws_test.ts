// GET /api/ws beyond the conformance suite: JSON-level bad input, sessions
// made over HTTP and picked up by token (first message or subprotocol),
// the grace period after a WebSocket goes away, and sockets that never say
// who they are. Against a real listening server, through a raw client.

import assert from "node:assert/strict";
import type { HttpListener } from "../../../adapters/http/app.ts";
import { serve, type Server } from "../../../adapters/server/serve.ts";
import type { ErrorCodeName } from "../../../core/errors.ts";
import type { ChatEvent } from "../../../core/events.ts";
import type { HttpLimits } from "../../../adapters/http/limits.ts";
import type { Limits } from "../../../core/limits.ts";
import { connectWs, type WsTestClient } from "../_ws_client.ts";

const ADMIN = "ws-test-admin-token-0123456789";

interface Fixture {
  server: Server;
  url: string;
  ws(protocols?: string[]): Promise<WsTestClient>;
  member(name: string): Promise<WsTestClient>;
  session(name: string): Promise<string>;
}

async function withServer(
  fn: (f: Fixture) => Promise<void>,
  options: { http?: Partial<HttpLimits>; limits?: Partial<Limits> } = {},
): Promise<void> {
  const server = await serve({
    transports: ["http"],
    tickMs: 20,
    ...(options.limits ? { limits: options.limits } : {}),
    http: { port: 0, adminToken: ADMIN, limits: options.http ?? {} },
  });
  const url = (server.listeners[0] as HttpListener).url;
  const clients: WsTestClient[] = [];
  const ws = async (protocols?: string[]) => {
    const c = await connectWs(url, protocols ? { protocols } : {});
    clients.push(c);
    return c;
  };
  const f: Fixture = {
    server,
    url,
    ws,
    async member(name) {
      const c = await ws();
      c.send({ type: "join", room: "lobby", name });
      assert.equal((await c.next()).type, "welcome");
      return c;
    },
    async session(name) {
      const res = await fetch(`${url}/api/rooms/lobby/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      const body = await res.json();
      assert.equal(res.status, 201, JSON.stringify(body));
      return body.token;
    },
  };
  try {
    await fn(f);
  } finally {
    for (const c of clients) await c.close();
    await server.shutdown();
  }
}

async function expectError(
  c: WsTestClient,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const e = await c.next();
  assert.equal(e.type, "error", JSON.stringify(e));
  if (e.type !== "error") return;
  assert.equal(e.code, code, e.message);
  assert.equal(e.fatal, fatal);
  assert.match(e.message, /^Cannot /);
}

function message(from: string, text: string): ChatEvent {
  return { type: "message", room: "lobby", from, text };
}

Deno.test("ws: bad JSON messages get coded errors and the session goes on", async () => {
  await withServer(async (f) => {
    const amy = await f.member("amy");
    const mal = await f.ws();
    // Before joining, then after.
    mal.sendText("not json");
    await expectError(mal, "FRAME_MALFORMED", false);
    mal.send({ type: "join", room: "lobby", name: "mal" });
    assert.equal((await mal.next()).type, "welcome");
    assert.deepEqual(await amy.next(), {
      type: "joined",
      room: "lobby",
      name: "mal",
    });
    const bad: [string | Uint8Array, ErrorCodeName][] = [
      ["{}", "UNKNOWN_TYPE"],
      ['{"type":"shout","text":"hi"}', "UNKNOWN_TYPE"],
      ['{"type":"say"}', "FRAME_MALFORMED"],
      ['{"type":"say","text":5}', "FRAME_MALFORMED"],
      ['{"type":"say","text":"hi","to":"amy"}', "FRAME_MALFORMED"],
      ['{"type":"ping","nonce":-1}', "FRAME_MALFORMED"],
      ["[1,2]", "UNKNOWN_TYPE"],
      ['{"type":"say","text":"\\ud800"}', "INVALID_UTF8"],
      ['{"type":"say","text":"hi","\\udc00":1}', "INVALID_UTF8"],
      [new Uint8Array([0xab, 3, 0, 0, 0, 0]), "UNKNOWN_TYPE"],
      [
        JSON.stringify({ type: "say", text: "x".repeat(1100) }),
        "FRAME_TOO_LARGE",
      ],
    ];
    for (const [data, code] of bad) {
      if (typeof data === "string") mal.sendText(data);
      else mal.sendBinary(data);
      await expectError(mal, code, false);
    }
    mal.send({ type: "say", text: "still here" });
    assert.deepEqual(await amy.next(), message("mal", "still here"));
  }, { limits: { maxFrameSize: 1024, maxMessageBytes: 256 } });
});

Deno.test("ws: a session made over HTTP is picked up by an auth message: missed events, then a welcome", async () => {
  await withServer(async (f) => {
    const amy = await f.member("amy");
    const token = await f.session("bob");
    assert.equal((await amy.next()).type, "joined");
    amy.send({ type: "say", text: "before the socket" });
    const bob = await f.ws();
    bob.send({ type: "auth", token });
    assert.equal((await bob.next()).type, "welcome"); // from the POST
    assert.deepEqual(await bob.next(), message("amy", "before the socket"));
    const welcome = await bob.next();
    assert.equal(welcome.type, "welcome");
    if (welcome.type === "welcome") {
      assert.deepEqual([...welcome.members].sort(), ["amy", "bob"]);
    }
    bob.send({ type: "say", text: "hi over ws" });
    assert.deepEqual(await amy.next(), message("bob", "hi over ws"));
    amy.send({ type: "say", text: "hi bob" });
    assert.deepEqual(await bob.next(), message("amy", "hi bob"));
    bob.send({ type: "auth", token });
    await expectError(bob, "FRAME_MALFORMED", false);
  });
});

Deno.test("ws: the token as a subprotocol; an unknown token is refused", async () => {
  await withServer(async (f) => {
    const amy = await f.member("amy");
    const token = await f.session("bob");
    await amy.next();
    const bob = await f.ws(["roomcast.v1", `roomcast.token.${token}`]);
    assert.equal(bob.handshake.status, 101);
    assert.equal(
      bob.handshake.headers["sec-websocket-protocol"],
      "roomcast.v1",
    );
    assert.equal((await bob.next()).type, "welcome");
    assert.equal((await bob.next()).type, "welcome");
    const nobody = await f.ws(["roomcast.v1", "roomcast.token.nope"]);
    assert.equal(nobody.handshake.status, 404);
    assert.equal(JSON.parse(nobody.handshake.body).code, "BAD_TOKEN");
    const wrong = await f.ws();
    wrong.send({ type: "auth", token: "nope" });
    await expectError(wrong, "BAD_TOKEN", true);
    await wrong.ended();
    assert.equal(wrong.closeCode, 1008);
  });
});

Deno.test("ws: a token session whose socket goes away leaves after the grace period, unless it comes back", async () => {
  await withServer(async (f) => {
    const amy = await f.member("amy");
    const token = await f.session("bob");
    await amy.next();
    let bob = await f.ws(["roomcast.v1", `roomcast.token.${token}`]);
    await bob.next();
    await bob.next();
    await bob.close();
    amy.send({ type: "say", text: "while bob was away" });
    bob = await f.ws(["roomcast.v1", `roomcast.token.${token}`]);
    assert.equal((await bob.next()).type, "welcome");
    assert.deepEqual(await bob.next(), message("amy", "while bob was away"));
    await bob.close();
    const left = await amy.next(2000);
    assert.deepEqual(left, {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "disconnect",
    });
  }, { limits: { resumeGraceMs: 300 } });
});

Deno.test("ws: a socket session leaves at once when its socket closes", async () => {
  await withServer(async (f) => {
    const amy = await f.member("amy");
    const bob = await f.member("bob");
    await amy.next();
    await bob.close();
    assert.deepEqual(await amy.next(500), {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "disconnect",
    });
  }, { limits: { resumeGraceMs: 60_000 } });
});

Deno.test("ws: a socket that never says who it is gets JOIN_TIMEOUT", async () => {
  await withServer(async (f) => {
    const silent = await f.ws();
    await expectError(silent, "JOIN_TIMEOUT", true);
    await silent.ended();
  }, { limits: { joinTimeoutMs: 200 } });
});

Deno.test("ws: a socket without a session that sends bad messages and never reads is cut off, not buffered without bound", async () => {
  await withServer(async (f) => {
    const u = new URL(f.url);
    const conn = await Deno.connect({ hostname: u.hostname, port: +u.port });
    try {
      const te = new TextEncoder();
      await conn.write(te.encode(
        `GET /api/ws HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      ));
      // 150000 masked one-byte text messages ("x", not JSON): each answered
      // with a ~100-byte error, 15 MB in all, more than the socket buffers.
      const sent = 150_000;
      const one = [0x81, 0x81, 0, 0, 0, 0, 0x78];
      const batch = new Uint8Array(one.length * 10_000);
      for (let i = 0; i < 10_000; i++) batch.set(one, i * one.length);
      for (let i = 0; i < sent / 10_000; i++) {
        for (let at = 0; at < batch.length;) {
          at += await conn.write(batch.subarray(at));
        }
      }
      // Now read everything: the upgrade, the errors, the close frame.
      let buf = new Uint8Array(0);
      const chunk = new Uint8Array(256 * 1024);
      let reset = false, ended = false;
      for (;;) {
        let n: number | null;
        try {
          n = await conn.read(chunk);
        } catch (e) {
          // Cut off with unread input: the kernel answers with a reset.
          if (!(e instanceof Deno.errors.ConnectionReset)) throw e;
          reset = true;
          break;
        }
        if (n === null) {
          ended = true;
          break;
        }
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        buf = next;
        if (buf.length > 20_000_000) break;
        // A close frame (0x88) right after the last text frame ends it.
        if (closeCodeOf(buf) !== undefined) break;
      }
      const head = new TextDecoder().decode(buf.subarray(0, 200));
      assert.match(head, /^HTTP\/1\.1 101/);
      const frames = countFrames(buf.subarray(buf.indexOf(0x81)));
      assert.ok(
        frames.texts < sent / 2,
        `${frames.texts} errors kept for a client that did not read`,
      );
      // The server resets the socket it cut; through the HTTP front
      // (adapters/http/front.ts, a proxy) the reset reaches the client as
      // the end of the stream.
      assert.ok(
        reset || ended || frames.close === 1008,
        `close ${frames.close}`,
      );
    } finally {
      conn.close();
    }
  }, {
    limits: { outboundBytes: 64 * 1024, joinTimeoutMs: 5000 },
  });
});

function countFrames(
  b: Uint8Array,
): { texts: number; close: number | undefined } {
  let at = 0, texts = 0;
  while (at + 2 <= b.length) {
    let len = b[at + 1]! & 0x7f, start = at + 2;
    if (len === 126) {
      len = (b[at + 2]! << 8) | b[at + 3]!;
      start = at + 4;
    }
    if (start + len > b.length) break;
    if ((b[at]! & 0x0f) === 0x8) {
      return { texts, close: (b[start]! << 8) | b[start + 1]! };
    }
    texts++;
    at = start + len;
  }
  return { texts, close: undefined };
}

function closeCodeOf(b: Uint8Array): number | undefined {
  const at = b.indexOf(0x81);
  return at < 0 ? undefined : countFrames(b.subarray(at)).close;
}

Deno.test("ws: sockets that have not joined yet count toward the connection limit", async () => {
  await withServer(async (f) => {
    await f.ws(); // open, says nothing: holds a place until the join timeout
    await f.ws();
    const third = await f.ws();
    const refusal = await third.next();
    assert.equal(refusal.type, "error");
    assert.equal(refusal.type === "error" && refusal.code, "SERVER_FULL");
  }, { limits: { maxConnections: 2 } });
});

Deno.test("ws: a socket drawing more than --max-refusals refusals within 10 s is cut with TOO_MANY_ERRORS, with or without a session", async () => {
  await withServer(async (f) => {
    const amy = await f.member("amy");
    const garbage = await f.ws();
    for (let i = 0; i < 10; i++) garbage.sendText(`not json ${i}`);
    for (let i = 0; i < 5; i++) {
      await expectError(garbage, "FRAME_MALFORMED", false);
    }
    await expectError(garbage, "TOO_MANY_ERRORS", true);
    await garbage.ended();
    // In a session, the session's budget.
    const mal = await f.member("mal");
    assert.equal((await amy.next()).type, "joined");
    for (let i = 0; i < 10; i++) mal.send({ type: "say", text: " " });
    for (let i = 0; i < 5; i++) await expectError(mal, "MESSAGE_EMPTY", false);
    await expectError(mal, "TOO_MANY_ERRORS", true);
    await mal.ended();
    assert.deepEqual(await amy.next(), {
      type: "left",
      room: "lobby",
      name: "mal",
      reason: "disconnect",
    });
  }, { limits: { maxRefusals: 5 } });
});
