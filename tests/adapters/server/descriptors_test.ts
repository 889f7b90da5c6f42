// Running out of file descriptors (docs/reliability.md): a real `cli.ts
// serve` under `ulimit -n 256` says at start that its descriptor limit
// holds fewer connections than --max-connections, is flooded past that
// limit over TCP, Unix sockets and HTTP at once, and stays up: the members
// already in (TCP, Unix, WebSocket) lose no message, the connections over
// the cap are refused (SERVER_FULL, 503), and once the flood ends new
// connections of every kind get in again.

import assert from "node:assert/strict";
import { CLI, PERMISSIONS, Proc, type Track, withAll } from "../../_process.ts";
import { connectStream, type TestClient } from "../_client.ts";
import { connectWs } from "../_ws_client.ts";
import type { ChatEvent } from "../../../core/events.ts";

const FLOOD = 300; // per transport: 900 in all, against 256 descriptors

/** `cli.ts serve` under `ulimit -n 256`, with its URLs by transport. */
async function serveUnderLimit(
  track: Track,
  permissions: string[] = PERMISSIONS.serve,
): Promise<{ proc: Proc; urls: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-fd-" });
  track({ close: () => Deno.remove(dir, { recursive: true }) });
  const proc = track(
    new Proc("sh", [
      "-c",
      'ulimit -n 256 && exec "$0" "$@"',
      Deno.execPath(),
      "run",
      ...permissions,
      CLI,
      "serve",
      "--transport",
      "tcp,unix,http",
      "--port",
      "0",
      "--http-port",
      "0",
      "--socket",
      `${dir}/chat.sock`,
      "--rate",
      "0",
      "--join-timeout",
      "30",
      "--http-request-timeout",
      "30",
    ]),
  );
  const urls: Record<string, string> = {};
  for (let i = 0; i < 3; i++) {
    const m = await proc.expect(/listen transport=(\w+) url=(\S+)/, "stderr");
    urls[m[1]!] = m[2]!;
  }
  return { proc, urls };
}

async function join(
  c: TestClient,
  name: string,
  hello: boolean,
): Promise<TestClient> {
  if (hello) c.send({ type: "hello", version: 1, software: "fd-test" });
  c.send({ type: "join", room: "lobby", name });
  for (;;) {
    const e = await c.next();
    if (e.type === "welcome") return c;
  }
}

/** Open a connection and keep it, or see it refused; never throw. */
async function flood(url: string, held: Deno.Conn[]): Promise<void> {
  const u = new URL(url);
  try {
    const conn = u.protocol === "unix:"
      ? await Deno.connect({ transport: "unix", path: u.pathname })
      : await Deno.connect({
        hostname: u.hostname,
        port: Number(u.port),
      });
    held.push(conn);
  } catch {
    // refused by a full backlog: part of the flood too
  }
}

Deno.test("descriptors: a server under ulimit -n 256 flooded over TCP, Unix and HTTP stays up, loses nothing, and accepts again", async () => {
  await withAll(async (track) => {
    const { proc, urls } = await serveUnderLimit(track);
    const note = await proc.expect(/descriptors limit=256 .*/, "stderr");
    assert.match(note[0], /fewer than --max-connections 20000/);
    await floodAndCheck(track, proc, urls, true);
  });
});

// Without --allow-run=prlimit the limit is unknown and connections are not
// capped: the flood runs the process out of descriptors, and still every
// listener (HTTP's too) only waits and tries again.
Deno.test("descriptors: out of descriptors with no cap, every listener goes on and the process stays up", async () => {
  await withAll(async (track) => {
    const { proc, urls } = await serveUnderLimit(
      track,
      PERMISSIONS.serve.map((p) =>
        p.startsWith("--allow-run=") ? "--allow-run=ps" : p
      ),
    );
    await proc.expect(/descriptors_unknown reason=.*prlimit/, "stderr");
    await floodAndCheck(track, proc, urls, false);
    assert.match(proc.stderr, /accept_error .*Too many open files/);
  });
});

/**
 * Members over every transport talk while 900 connections flood the
 * server; then new ones get in. `capped`: the over-cap ones were refused.
 */
async function floodAndCheck(
  track: Track,
  proc: Proc,
  urls: Record<string, string>,
  capped: boolean,
): Promise<void> {
  const members = [
    await join(track(await connectStream(urls.tcp!)), "tcp-amy", true),
    await join(track(await connectStream(urls.unix!)), "unix-bob", true),
    await join(track(await connectWs(urls.http!)), "ws-cat", false),
  ];
  const names = ["tcp-amy", "unix-bob", "ws-cat"];
  // Each hears of those who joined after it.
  for (const [k, m] of members.entries()) {
    for (let i = k + 1; i < 3; i++) {
      assert.equal((await m.next()).type, "joined");
    }
  }

  // The flood: 900 connections held open, while the members talk.
  const held: Deno.Conn[] = [];
  track({
    close: () => {
      for (const c of held) {
        try {
          c.close();
        } catch {
          // closed by the server
        }
      }
      return Promise.resolve();
    },
  });
  const flooding = Promise.all(
    Array.from({ length: FLOOD }, () => ["tcp", "unix", "http"])
      .flat().map((t) => flood(urls[t]!, held)),
  );
  const said = 30;
  for (let i = 0; i < said; i++) {
    for (const m of members) m.send({ type: "say", text: `m${i}` });
    if (i === 10) await flooding;
  }
  for (const [k, m] of members.entries()) {
    const heard = new Map<string, number>();
    while ([...heard.values()].reduce((a, b) => a + b, 0) < 2 * said) {
      const e: ChatEvent = await m.next(20_000);
      if (e.type !== "message") continue;
      const n = heard.get(e.from) ?? 0;
      assert.equal(
        e.text,
        `m${n}`,
        `${names[k]} heard ${e.from} out of order`,
      );
      heard.set(e.from, n + 1);
    }
    assert.deepEqual(
      [...heard.keys()].sort(),
      names.filter((_, j) => j !== k).sort(),
    );
  }

  // Refused over every transport: a fatal SERVER_FULL frame (code 15)
  // on streams, a 503 on HTTP.
  const replies = await Promise.all(held.map(readSome));
  if (capped) {
    const full = "file descriptors allow";
    assert.ok(
      replies.some((r) => r.startsWith("\xab\x88") && r.includes(full)),
    );
    assert.ok(
      replies.some((r) =>
        r.startsWith("HTTP/1.1 503") && r.includes('"code":"SERVER_FULL"')
      ),
    );
  }
  assert.equal(proc.stderr.includes("Uncaught"), false, proc.stderr);

  // The flood ends: every kind of connection gets in again.
  for (const c of held) {
    try {
      c.close();
    } catch {
      // closed by the server
    }
  }
  held.length = 0;
  // The server learns that the flood is over as it reads each connection's
  // end; until then a new connection can still find no descriptor (the
  // HTTP front needs two: the client's and its own to the server behind).
  // So each kind gets in again within a bound, not on the first try.
  await again(async () =>
    await join(track(await connectStream(urls.tcp!)), "tcp-dan", true)
  );
  await again(async () =>
    await join(track(await connectStream(urls.unix!)), "unix-eve", true)
  );
  await again(async () =>
    await join(track(await connectWs(urls.http!)), "ws-fay", false)
  );
  const health = await fetch(new URL("/healthz", urls.http!));
  assert.equal(health.status, 200);
  await health.body?.cancel();
  members[0]!.send({ type: "say", text: "after" });
  for (;;) {
    const e = await members[2]!.next();
    if (e.type === "message") {
      assert.equal(e.text, "after");
      break;
    }
  }
}

/** `attempt` until it succeeds, every 200 ms, for at most 10 s. */
async function again<T>(attempt: () => Promise<T>): Promise<T> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** What the server sent a flood connection within a moment, as text. */
async function readSome(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(2048);
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }, 3000);
  try {
    const n = await conn.read(buf);
    // Bytes as code points 0-255 (TextDecoder's latin1 is windows-1252).
    return n === null ? "" : String.fromCharCode(...buf.subarray(0, n));
  } catch {
    return "";
  } finally {
    clearTimeout(timer);
  }
}
