// The HTTP front (adapters/http/front.ts): connections that send nothing,
// half a head or half a body are closed by the request timeout, idle ones
// by the keep-alive timeout; event streams and WebSockets outlive both;
// over the descriptor cap a connection is answered 503 SERVER_FULL and the
// listener goes on; the server behind still sees each client's address.

import assert from "node:assert/strict";
import { ConnectionGate } from "../../../adapters/connection_gate.ts";
import type { HttpListener } from "../../../adapters/http/app.ts";
import type { HttpLimits } from "../../../adapters/http/limits.ts";
import { serve, type Server } from "../../../adapters/server/serve.ts";
import type { LogRecord } from "../../../core/chat.ts";
import { connectWs } from "../_ws_client.ts";
import { SseReader } from "../_sse.ts";

const ADMIN = "front-test-admin-token-0123456789";
const enc = new TextEncoder();

interface Fixture {
  server: Server;
  url: URL;
  logs: LogRecord[];
  raw(): Promise<Deno.TcpConn>;
}

async function withServer(
  fn: (f: Fixture) => Promise<void>,
  options: {
    http?: Partial<HttpLimits>;
    gate?: ConnectionGate;
    frontWorker: boolean;
  },
): Promise<void> {
  const logs: LogRecord[] = [];
  const server = await serve({
    transports: ["http"],
    tickMs: 20,
    log: (r) => logs.push(r),
    ...(options.gate ? { gate: options.gate } : {}),
    http: {
      port: 0,
      adminToken: ADMIN,
      limits: options.http ?? {},
      frontWorker: options.frontWorker,
    },
  });
  const url = new URL((server.listeners[0] as HttpListener).url);
  const conns: Deno.TcpConn[] = [];
  try {
    await fn({
      server,
      url,
      logs,
      async raw() {
        const c = await Deno.connect({
          hostname: url.hostname,
          port: Number(url.port),
        });
        conns.push(c);
        return c;
      },
    });
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // closed by the server
      }
    }
    await server.shutdown();
  }
}

/** Read until the server closes; the text read and when it ended. */
async function readToEnd(
  conn: Deno.Conn,
  timeoutMs = 5000,
): Promise<{ text: string; at: number }> {
  const buf = new Uint8Array(4096);
  let text = "";
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        if (e instanceof Deno.errors.BadResource) {
          throw new Error(`still open after ${timeoutMs} ms: ${text}`);
        }
        n = null; // reset
      }
      if (n === null) return { text, at: performance.now() };
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A test of the front run twice: in its Worker (the default on more than
 * one core) and in the server's thread (one core, `serve --workers`).
 */
function frontTest(
  name: string,
  fn: (frontWorker: boolean) => Promise<void>,
): void {
  Deno.test(`http front (in a Worker): ${name}`, () => fn(true));
  Deno.test(`http front (in the server's thread): ${name}`, () => fn(false));
}

frontTest(
  "nothing sent, half a head, half a body and a trickled head are closed by the request timeout",
  async (frontWorker) => {
    await withServer(async (f) => {
      const start = performance.now();
      const silent = await f.raw();
      const halfHead = await f.raw();
      await halfHead.write(
        enc.encode(`GET /healthz HTTP/1.1\r\nHost: ${f.url.host}\r\n`),
      );
      const halfBody = await f.raw();
      await halfBody.write(enc.encode(
        `POST /api/rooms/lobby/sessions HTTP/1.1\r\nHost: ${f.url.host}\r\n` +
          'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"name":',
      ));
      // A slowloris: a byte every 50 ms keeps bytes moving, not the request.
      const trickle = await f.raw();
      let stop = false;
      const trickling = (async () => {
        for (
          const ch of `GET /healthz HTTP/1.1\r\nHost: ${f.url.host}\r\nX-a: ${
            "a".repeat(200)
          }`
        ) {
          if (stop) return;
          try {
            await trickle.write(enc.encode(ch));
          } catch {
            return; // closed by the server
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const ends = await Promise.all(
        [silent, halfHead, halfBody, trickle].map((c) => readToEnd(c)),
      );
      stop = true;
      await trickling;
      for (const end of ends) {
        assert.equal(end.text, ""); // closed without an answer
        const after = end.at - start;
        assert.ok(after >= 250 && after < 3000, `closed after ${after} ms`);
      }
      const timeouts = f.logs.filter((r) => r.event === "http_timeout");
      assert.equal(timeouts.length, 4);
      assert.ok(timeouts.every((r) => r.state === "request"));
    }, { http: { requestTimeoutMs: 300, keepAliveMs: 10_000 }, frontWorker });
  },
);

frontTest(
  "a kept-alive connection with nothing under way is closed by the keep-alive timeout",
  async (frontWorker) => {
    await withServer(async (f) => {
      const conn = await f.raw();
      const ask = `GET /healthz HTTP/1.1\r\nHost: ${f.url.host}\r\n\r\n`;
      const buf = new Uint8Array(4096);
      // Two requests on one connection, each well within the timeouts.
      for (let i = 0; i < 2; i++) {
        await conn.write(enc.encode(ask));
        const n = await conn.read(buf);
        assert.match(
          new TextDecoder().decode(buf.subarray(0, n ?? 0)),
          /^HTTP\/1\.1 200/,
        );
        await new Promise((r) => setTimeout(r, 200));
      }
      const idleFrom = performance.now();
      const end = await readToEnd(conn);
      const after = end.at - idleFrom;
      assert.ok(after >= 300 && after < 3000, `closed after ${after} ms`);
      const timeouts = f.logs.filter((r) => r.event === "http_timeout");
      assert.deepEqual(timeouts.map((r) => r.state), ["idle"]);
    }, { http: { requestTimeoutMs: 300, keepAliveMs: 500 }, frontWorker });
  },
);

frontTest(
  "an event stream and a WebSocket outlive both timeouts",
  async (frontWorker) => {
    await withServer(async (f) => {
      const ws = await connectWs(f.url.origin);
      ws.send({ type: "join", room: "lobby", name: "amy" });
      assert.equal((await ws.next()).type, "welcome");
      const res = await fetch(new URL("/api/rooms/lobby/sessions", f.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "bob" }),
      });
      const { token } = await res.json();
      assert.equal((await ws.next()).type, "joined");
      const events = await fetch(new URL("/api/rooms/lobby/events", f.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      const sse = new SseReader(events.body!);
      assert.equal(JSON.parse((await sse.next()).data).type, "welcome");
      // Four times the keep-alive timeout, with no message either way.
      await new Promise((r) => setTimeout(r, 1600));
      ws.send({ type: "say", text: "still here" });
      assert.equal(JSON.parse((await sse.next()).data).text, "still here");
      const say = await fetch(new URL("/api/rooms/lobby/messages", f.url), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ text: "me too" }),
      });
      assert.equal(say.status, 202);
      await say.body?.cancel();
      assert.deepEqual(await ws.next(), {
        type: "message",
        room: "lobby",
        from: "bob",
        text: "me too",
      });
      assert.deepEqual(f.logs.filter((r) => r.event === "http_timeout"), []);
      await sse.cancel();
      await ws.close();
    }, {
      http: { requestTimeoutMs: 300, keepAliveMs: 400, heartbeatMs: 200 },
      frontWorker,
    });
  },
);

frontTest(
  "over the descriptor cap a connection is answered 503 SERVER_FULL, and the listener goes on",
  async (frontWorker) => {
    const gate = new ConnectionGate({ capacity: 6 }); // two HTTP connections
    await withServer(async (f) => {
      const a = await f.raw();
      const b = await f.raw();
      await new Promise((r) => setTimeout(r, 50)); // both taken in
      assert.equal(gate.inUse, 6);
      const refused = await readToEnd(await f.raw());
      assert.match(refused.text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(refused.text, /content-type: application\/problem\+json/);
      const body = JSON.parse(
        refused.text.slice(refused.text.indexOf("\r\n\r\n")),
      );
      assert.equal(body.code, "SERVER_FULL");
      assert.equal(body.status, 503);
      assert.match(body.detail, /^Cannot connect: /);
      assert.equal(gate.refused, 1);
      // A place comes free: the next connection is served.
      a.close();
      await new Promise((r) => setTimeout(r, 50));
      const res = await fetch(new URL("/healthz", f.url));
      assert.equal(res.status, 200);
      await res.body?.cancel();
      b.close();
    }, { gate, http: { keepAliveMs: 10_000 }, frontWorker });
    assert.equal(gate.inUse, 0);
  },
);

frontTest(
  "the server behind sees each client's own address",
  async (frontWorker) => {
    await withServer(async (f) => {
      const conn = await f.raw();
      const body = JSON.stringify({ name: "amy" });
      await conn.write(enc.encode(
        `POST /api/rooms/lobby/sessions HTTP/1.1\r\nHost: ${f.url.host}\r\n` +
          `content-type: application/json\r\ncontent-length: ${body.length}\r\n` +
          `connection: close\r\n\r\n${body}`,
      ));
      const answer = await readToEnd(conn);
      assert.match(answer.text, /^HTTP\/1\.1 201/);
      const connect = f.logs.find((r) => r.event === "connect");
      assert.equal(
        connect?.remote,
        `127.0.0.1:${(conn.localAddr as Deno.NetAddr).port}`,
      );
    }, { frontWorker });
  },
);
