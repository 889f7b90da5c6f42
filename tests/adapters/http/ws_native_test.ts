// The WebSocket the HTTP front serves on the client's own socket
// (adapters/http/ws_native.ts, ws_handshake.ts), spoken byte by byte from
// a raw TCP client against a real server: the handshake (split anywhere,
// frames right behind it), ping, fragments, the close handshake, every
// framing error closed with its code, the app's refusals written as HTTP,
// and requests that are not upgrades left to Deno's server as before.

import assert from "node:assert/strict";
import type { HttpListener } from "../../../adapters/http/app.ts";
import { serve } from "../../../adapters/server/serve.ts";
import { closePayload } from "../../../core/websocket_encode.ts";
import { concat } from "../../_bytes.ts";
import { HttpServerProc } from "../_http_server.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A masked client frame. */
function frame(
  opcode: number,
  payload: Uint8Array,
  fin = true,
  masked = true,
): Uint8Array {
  const len = payload.length;
  const head = [(fin ? 0x80 : 0) | opcode];
  const m = masked ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >>> 8, len & 255);
  else {head.push(
      m | 127,
      0,
      0,
      0,
      0,
      len >>> 24,
      (len >>> 16) & 255,
      (len >>> 8) & 255,
      len & 255,
    );}
  const mask = [7, 1, 200, 33];
  if (masked) head.push(...mask);
  const out = new Uint8Array(head.length + len);
  out.set(head);
  for (let i = 0; i < len; i++) {
    out[head.length + i] = payload[i]! ^ (masked ? mask[i & 3]! : 0);
  }
  return out;
}

function request(extra = "", path = "/api/ws"): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
    `Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\n${extra}\r\n`;
}

/** A raw client: bytes in, the server's head and frames out. */
class Raw {
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;
  constructor(readonly conn: Deno.Conn) {}

  static async open(url: string): Promise<Raw> {
    const { hostname, port } = new URL(url);
    return new Raw(await Deno.connect({ hostname, port: Number(port) }));
  }

  async write(b: Uint8Array | string): Promise<void> {
    const bytes = typeof b === "string" ? te.encode(b) : b;
    for (let at = 0; at < bytes.length;) {
      at += await this.conn.write(bytes.subarray(at));
    }
  }

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      this.conn.read(chunk).catch(() => null),
      new Promise<"timeout">((r) =>
        timer = setTimeout(() => r("timeout"), 5000)
      ),
    ]);
    clearTimeout(timer);
    if (n === "timeout") throw new Error("no answer within 5 s");
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#buf = concat(this.#buf, chunk.subarray(0, n));
    return true;
  }

  /** The answer's head. */
  async head(): Promise<
    { status: number; headers: Map<string, string>; body: string }
  > {
    for (;;) {
      const text = td.decode(this.#buf);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [line, ...rest] = text.slice(0, end).split("\r\n");
        const headers = new Map(rest.map((l) => {
          const c = l.indexOf(":");
          return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()];
        }));
        this.#buf = this.#buf.slice(te.encode(text.slice(0, end + 4)).length);
        let body = "";
        const length = Number(headers.get("content-length") ?? 0);
        while (this.#buf.length < length && await this.#more());
        body = td.decode(this.#buf.subarray(0, length));
        this.#buf = this.#buf.slice(length);
        return { status: Number(line!.split(" ")[1]), headers, body };
      }
      if (!await this.#more()) throw new Error("closed before a head");
    }
  }

  /** The next server frame. */
  async frame(): Promise<{ opcode: number; payload: Uint8Array }> {
    for (;;) {
      const b = this.#buf;
      if (b.length >= 2) {
        assert.equal(b[1]! & 0x80, 0, "server frames are not masked");
        let len = b[1]! & 0x7f, at = 2;
        if (len === 126) [len, at] = [(b[2]! << 8) | b[3]!, 4];
        else if (len === 127) {
          [len, at] = [(b[8]! << 8) | b[9]! | (b[7]! << 16), 10];
        }
        if (b.length >= at + len) {
          this.#buf = b.slice(at + len);
          return { opcode: b[0]! & 0x0f, payload: b.slice(at, at + len) };
        }
      }
      if (!await this.#more()) throw new Error("closed before a frame");
    }
  }

  /** The next text message's JSON. */
  async json(): Promise<{ type: string; [k: string]: unknown }> {
    const f = await this.frame();
    assert.equal(f.opcode, 1);
    return JSON.parse(td.decode(f.payload));
  }

  /** Whether the server closed the connection (within 5 s). */
  async closed(): Promise<boolean> {
    while (!this.#eof) if (!await this.#more()) break;
    return this.#eof;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // closed
    }
  }
}

async function withServer(
  fn: (url: string) => Promise<void>,
  limits: Record<string, number> = {},
): Promise<void> {
  const server = await serve({
    transports: ["http"],
    port: 0,
    limits: { messagesPerSecond: 0, ...limits },
    http: { port: 0, adminToken: "ws-native-admin-token-0123456789" },
  });
  try {
    await fn((server.listeners[0] as HttpListener).url);
  } finally {
    await server.shutdown();
  }
}

const join = (name: string) =>
  te.encode(JSON.stringify({ type: "join", room: "lobby", name }));

Deno.test("ws native: the handshake, split byte by byte with a join right behind it", async () => {
  await withServer(async (url) => {
    const c = await Raw.open(url);
    try {
      const bytes = concat(
        te.encode(
          request("Sec-WebSocket-Protocol: x.y, roomcast.batch.v1\r\n"),
        ),
        frame(1, join("ann")),
      );
      for (let i = 0; i < 40; i++) await c.write(bytes.subarray(i, i + 1));
      await c.write(bytes.subarray(40));
      const head = await c.head();
      assert.equal(head.status, 101);
      assert.equal(head.headers.get("sec-websocket-accept"), ACCEPT);
      assert.equal(
        head.headers.get("sec-websocket-protocol"),
        "roomcast.batch.v1",
      );
      assert.equal(head.headers.get("upgrade"), "websocket");
      const events = JSON.parse(td.decode((await c.frame()).payload));
      assert.equal(events.at(-1).type, "welcome", JSON.stringify(events));
    } finally {
      c.close();
    }
  });
});

Deno.test("ws native: a ping gets its pong; a command in fragments is one command; the close is answered", async () => {
  await withServer(async (url) => {
    const c = await Raw.open(url);
    try {
      await c.write(request());
      assert.equal((await c.head()).status, 101);
      await c.write(frame(9, te.encode("are you there")));
      const pong = await c.frame();
      assert.equal(pong.opcode, 0xa);
      assert.equal(td.decode(pong.payload), "are you there");
      const j = join("bob");
      await c.write(concat(
        frame(1, j.subarray(0, 5), false),
        frame(9, new Uint8Array(0)),
        frame(0, j.subarray(5, 9), false),
        frame(0, j.subarray(9)),
      ));
      assert.equal((await c.frame()).opcode, 0xa);
      let e = await c.json();
      while (e.type !== "welcome") e = await c.json();
      assert.equal(e.name, "bob");
      await c.write(frame(8, closePayload(1000, "bye")));
      const close = await c.frame();
      assert.equal(close.opcode, 8);
      assert.equal((close.payload[0]! << 8) | close.payload[1]!, 1000);
      assert.equal(await c.closed(), true);
    } finally {
      c.close();
    }
  });
});

Deno.test("ws native: framing errors close with 1002, 1007 and 1009, and the server goes on", async () => {
  await withServer(async (url) => {
    const cases: [string, Uint8Array, number][] = [
      ["unmasked", frame(1, join("x"), true, false), 1002],
      ["bad UTF-8", frame(1, new Uint8Array([0x22, 0xc3, 0x28])), 1007],
      // 16 frames of the largest frame size (1024 here), and one byte more.
      ["too big", frame(2, new Uint8Array(16 * 1024 + 1)), 1009],
    ];
    for (const [what, bytes, code] of cases) {
      const c = await Raw.open(url);
      try {
        await c.write(
          request("Sec-WebSocket-Protocol: roomcast.binary.v1\r\n"),
        );
        assert.equal((await c.head()).status, 101, what);
        await c.write(bytes);
        const close = await c.frame();
        assert.equal(close.opcode, 8, what);
        assert.equal((close.payload[0]! << 8) | close.payload[1]!, code, what);
        assert.equal(await c.closed(), true, what);
      } finally {
        c.close();
      }
    }
    // A message bigger than a frame, within the limit, gets its coded error.
    const c = await Raw.open(url);
    try {
      await c.write(request());
      assert.equal((await c.head()).status, 101);
      await c.write(
        frame(
          1,
          te.encode(JSON.stringify({ type: "say", text: "x".repeat(2000) })),
        ),
      );
      const e = await c.json();
      assert.equal(e.type, "error");
      assert.equal(e.code, "FRAME_TOO_LARGE", JSON.stringify(e));
      await c.write(frame(1, join("still")));
      let w = await c.json();
      while (w.type !== "welcome") w = await c.json();
    } finally {
      c.close();
    }
  }, { maxFrameSize: 1024, maxMessageBytes: 512 });
});

Deno.test("ws native: the app's refusals are written as HTTP and the connection closes", async () => {
  await withServer(async (url) => {
    const cases: [string, number, string][] = [
      [request("Origin: http://evil.example\r\n"), 403, "ORIGIN_NOT_ALLOWED"],
      [
        request("Sec-WebSocket-Protocol: roomcast.token.nope\r\n"),
        404,
        "BAD_TOKEN",
      ],
    ];
    for (const [req, status, code] of cases) {
      const c = await Raw.open(url);
      try {
        await c.write(req);
        const head = await c.head();
        assert.equal(head.status, status, head.body);
        assert.equal(JSON.parse(head.body).code, code, head.body);
        assert.equal(head.headers.get("connection"), "close");
        assert.equal(await c.closed(), true);
      } finally {
        c.close();
      }
    }
  });
});

Deno.test("ws native: what is not a plain upgrade goes to Deno's server as before", async () => {
  await withServer(async (url) => {
    // No Upgrade header: 426 from the app, through Deno's server.
    const plain = await fetch(`${url}/api/ws`);
    assert.equal(plain.status, 426);
    await plain.body?.cancel();
    // Other routes, and keep-alive, as ever.
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    // A path that only begins like the route.
    const other = await fetch(`${url}/api/wsx`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
    // A WebSocket of Deno's own client still opens and chats.
    const ws = new WebSocket(
      `${url.replace("http", "ws")}/api/ws`,
      "roomcast.v1",
    );
    const welcome = new Promise<void>((resolve, reject) => {
      ws.onmessage = (e) => {
        if (JSON.parse(e.data).type === "welcome") resolve();
      };
      ws.onerror = () => reject(new Error("ws error"));
    });
    await new Promise((r) => ws.onopen = r);
    ws.send(JSON.stringify({ type: "join", room: "lobby", name: "deno" }));
    await welcome;
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  });
});

Deno.test("ws native: a silent client is pinged at half --ws-idle-timeout and cut at it; one that answers stays", async () => {
  const server = await HttpServerProc.start(["http"], [
    "--ws-idle-timeout",
    "0.6",
  ]);
  const silent = await Raw.open(server.http);
  const alive = await Raw.open(server.http);
  try {
    for (const c of [silent, alive]) {
      await c.write(request());
      assert.equal((await c.head()).status, 101);
    }
    const started = performance.now();
    // The live one answers each ping with its pong, three times.
    for (let i = 0; i < 3; i++) {
      const ping = await alive.frame();
      assert.equal(ping.opcode, 9);
      await alive.write(frame(0xa, ping.payload));
    }
    assert.equal((await silent.frame()).opcode, 9);
    assert.equal(await silent.closed(), true);
    assert.ok(performance.now() - started >= 600, "cut before its time");
    // Still open: it answers a ping of its own.
    await alive.write(frame(9, te.encode("x")));
    let f = await alive.frame();
    while (f.opcode === 9) f = await alive.frame();
    assert.equal(f.opcode, 0xa);
  } finally {
    silent.close();
    alive.close();
    await server.stop();
  }
});
