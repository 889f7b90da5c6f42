// The Origin rule of GET /api/ws and POST /api/rooms/{room}/sessions: the
// pure rule (adapters/http/origin.ts), then a real `cli.ts serve` process
// with `--allow-origin`: a page from another site cannot open a WebSocket or
// join; programs (no Origin), the server's own pages and listed origins can.

import assert from "node:assert/strict";
import {
  hostAllowed,
  originAllowed,
  parseHost,
  parseOrigin,
} from "../../../adapters/http/origin.ts";
import { PERMISSIONS } from "../../_process.ts";
import { HttpServerProc, run } from "../_http_server.ts";
import { connectWs } from "../_ws_client.ts";

const ALLOWED = "https://chat.example.com";
const EVIL = "https://evil.example";

Deno.test("origin: the rule", () => {
  const host = "127.0.0.1:8787";
  const cases: [string | null, string | null, string[], boolean][] = [
    [null, host, [], true], // a program
    ["http://127.0.0.1:8787", host, [], true], // the server's own page
    ["https://127.0.0.1:8787", host, [], true], // behind a TLS proxy
    ["http://127.0.0.1:8788", host, [], false], // another port
    ["http://localhost:8787", host, [], false], // another host name
    [EVIL, host, [], false],
    [EVIL, host, [ALLOWED], false],
    [ALLOWED, host, [ALLOWED], true],
    [EVIL, host, ["*"], true],
    ["null", host, [], false], // sandboxed frames, file: pages
    ["null", "null", [], false],
    ["chrome-extension://abc", host, [], false],
    ["garbage", host, [], false],
    ["http://127.0.0.1:8787", null, [], false], // no Host: no own origin
    ["http://127.0.0.1:8787", "127.0.0.1:8787/x", [], false],
    // Default ports compare equal; case does not matter.
    ["https://chat.example.com", "chat.example.com", [], true],
    ["https://chat.example.com", "CHAT.example.com:443", [], true],
    ["http://chat.example.com", "chat.example.com:80", [], true],
    ["https://chat.example.com", "chat.example.com:80", [], false],
    ["http://[::1]:8787", "[::1]:8787", [], true],
  ];
  for (const [origin, h, allowed, expected] of cases) {
    assert.equal(
      originAllowed(origin, h, allowed),
      expected,
      `${origin} from ${h} with [${allowed}]`,
    );
  }
});

Deno.test("origin: --allow-origin values", () => {
  assert.equal(parseOrigin("HTTPS://Chat.Example.com:443"), ALLOWED);
  assert.equal(parseOrigin("http://127.0.0.1:3000/"), "http://127.0.0.1:3000");
  assert.equal(parseOrigin(" * "), "*");
  for (const bad of ["chat.example.com", "ftp://x", "https://x/a", "null"]) {
    assert.throws(() => parseOrigin(bad), TypeError, bad);
  }
  assert.throws(() => parseOrigin("https://u:p@x"), /Cannot use origin/);
  assert.throws(() => parseOrigin("https://x?a"), /Cannot use origin/);
});

async function withServer(fn: (s: HttpServerProc) => Promise<void>) {
  const server = await HttpServerProc.start(["http"], [
    "--allow-origin",
    `${ALLOWED},http://localhost:1`,
  ]);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

async function problemCode(res: Response): Promise<string> {
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  return (await res.json()).code;
}

/** A WebSocket from Deno's own client, which sends the headers given. */
function browserLike(url: string, origin: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/api/ws", {
      protocols: ["roomcast.v1"],
      headers: { origin },
    });
    ws.onopen = () =>
      ws.send(JSON.stringify({ type: "join", room: "lobby", name: "web" }));
    ws.onmessage = (e) => {
      const type = JSON.parse(e.data).type;
      ws.onclose = () => resolve(type);
      ws.close();
    };
    ws.onerror = () => {};
    ws.onclose = (e) => resolve(`closed ${e.code}`);
  });
}

Deno.test("origin: a page from another site cannot open a WebSocket", async () => {
  await withServer(async (server) => {
    const res = await fetch(`${server.http}/api/ws`, {
      headers: { origin: EVIL },
    });
    assert.equal(res.status, 403);
    assert.equal(await problemCode(res), "ORIGIN_NOT_ALLOWED");

    const raw = await connectWs(server.http, { headers: { origin: EVIL } });
    try {
      assert.equal(raw.handshake.status, 403);
      const body = JSON.parse(raw.handshake.body);
      assert.equal(body.code, "ORIGIN_NOT_ALLOWED");
      assert.match(
        body.detail,
        /^Cannot open a chat session: origin "https:\/\/evil.example" is not allowed/,
      );
    } finally {
      await raw.close();
    }
    assert.match(await browserLike(server.http, EVIL), /^closed /);
    assert.match(await browserLike(server.http, "null"), /^closed /);
    const rooms = await server.call("GET", "/api/rooms");
    assert.deepEqual(rooms.body, { rooms: [] });
  });
});

Deno.test("origin: programs, the server's own pages and listed origins get a WebSocket", async () => {
  await withServer(async (server) => {
    const own = server.http; // http://127.0.0.1:PORT, as the page's origin
    assert.equal(await browserLike(server.http, own), "welcome");
    assert.equal(await browserLike(server.http, ALLOWED), "welcome");
    assert.equal(
      await browserLike(server.http, "http://LOCALHOST:1"),
      "welcome",
    );
    for (const headers of [{}, { origin: own }, { origin: ALLOWED }]) {
      const c = await connectWs(server.http, { headers });
      try {
        assert.equal(c.handshake.status, 101, JSON.stringify(headers));
        c.send({ type: "join", room: "lobby", name: "bob" });
        assert.equal((await c.next()).type, "welcome");
      } finally {
        await c.close();
      }
    }
    // The rule is checked before the upgrade: a listed origin without an
    // upgrade gets the usual 426.
    const res = await fetch(`${server.http}/api/ws`, {
      headers: { origin: ALLOWED },
    });
    assert.equal(res.status, 426);
    await res.body?.cancel();
  });
});

Deno.test("origin: a page from another site cannot join over POST", async () => {
  await withServer(async (server) => {
    const join = (headers: Record<string, string>, body: string) =>
      fetch(`${server.http}/api/rooms/lobby/sessions`, {
        method: "POST",
        headers,
        body,
      });
    const body = JSON.stringify({ name: "victim" });
    let res = await join(
      { origin: EVIL, "content-type": "application/json" },
      body,
    );
    assert.equal(res.status, 403);
    assert.equal(await problemCode(res), "ORIGIN_NOT_ALLOWED");
    // What a cross-site form or no-cors fetch can send without a CORS
    // preflight (the server grants none) is not JSON: refused, nobody joins.
    res = await join({ origin: EVIL, "content-type": "text/plain" }, body);
    assert.equal(res.status, 403);
    await res.body?.cancel();
    res = await join({ "content-type": "text/plain" }, body);
    assert.equal(res.status, 415);
    assert.equal(await problemCode(res), "UNSUPPORTED_MEDIA_TYPE");
    assert.equal(
      (await server.call("GET", "/api/rooms/lobby/members")).status,
      404,
    );
    // The server's own page and programs join.
    res = await join({
      origin: server.http,
      "content-type": "application/json",
    }, body);
    assert.equal(res.status, 201);
    const { token } = await res.json();
    // Routes with a token are not checked: the token is the authority, and
    // a page from another site cannot read it.
    const said = await fetch(`${server.http}/api/rooms/lobby/messages`, {
      method: "POST",
      headers: {
        origin: EVIL,
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ text: "hi" }),
    });
    assert.equal(said.status, 202);
    await said.body?.cancel();
    assert.equal(
      (await server.call("DELETE", "/api/sessions/me", { token }))
        .status,
      204,
    );
  });
});

Deno.test("origin: serve refuses a --allow-origin that is not an origin", async () => {
  const out = await run(Deno.execPath(), [
    "run",
    ...PERMISSIONS.serve,
    new URL("../../../cli.ts", import.meta.url).pathname,
    "serve",
    "--allow-origin",
    "https://ok.example,chat.example.com",
  ]);
  assert.equal(out.code, 2);
  assert.match(
    out.stderr,
    /Cannot use origin "chat\.example\.com": write it as http\(s\):\/\/HOST\[:PORT\]/,
  );
});

Deno.test("host: the rule and --allow-host values", () => {
  const cases: [string | null, string[] | undefined, boolean][] = [
    ["127.0.0.1:8787", [], true],
    ["localhost:8787", [], true],
    ["[::1]:8787", [], true],
    ["127.1.2.3", [], true],
    ["evil.example:8787", [], false], // DNS rebinding
    ["evil.example", undefined, true], // a server bound elsewhere: any
    ["Chat.Example.com:443", ["chat.example.com"], true],
    ["other.example.com", ["chat.example.com"], false],
    ["bad host", [], false],
    [null, [], true], // no Host: not a browser
  ];
  for (const [host, allowed, expected] of cases) {
    assert.equal(hostAllowed(host, allowed), expected, `${host} [${allowed}]`);
  }
  assert.equal(parseHost(" Chat.Example.COM "), "chat.example.com");
  for (const bad of ["chat.example.com:443", "", "a/b", "https://x"]) {
    assert.throws(() => parseHost(bad), TypeError, bad);
  }
});

/** One raw HTTP/1.1 GET with the Host header given (fetch sets its own). */
async function getWithHost(url: string, host: string): Promise<string> {
  const u = new URL(url);
  const conn = await Deno.connect({
    hostname: u.hostname,
    port: Number(u.port),
  });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET /api/rooms HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    const decoder = new TextDecoder();
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("host: a loopback server answers only to its own names (no DNS rebinding)", async () => {
  const server = await HttpServerProc.start(["http"], [
    "--allow-host",
    "chat.example.com",
  ]);
  try {
    const url = server.urls.http!;
    const port = new URL(url).port;
    for (const ok of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      assert.match(await getWithHost(url, ok), /^HTTP\/1\.1 200/, ok);
    }
    assert.match(
      await getWithHost(url, `chat.example.com:${port}`),
      /^HTTP\/1\.1 200/,
    );
    const refused = await getWithHost(url, `evil.example:${port}`);
    assert.match(refused, /^HTTP\/1\.1 421/);
    assert.match(refused, /"code":"HOST_NOT_ALLOWED"/);
    assert.match(refused, /application\/problem\+json/);
    assert.match(refused, /"title":"Misdirected Request"/);
  } finally {
    await server.stop();
  }
});
