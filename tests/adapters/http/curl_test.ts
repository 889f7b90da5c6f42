// The HTTP adapter against a real `cli.ts serve` process: a TCP member, a
// Unix member, a WebSocket member and an SSE member in one room see each
// other; a real `curl -X POST` with the admin token announces to all of
// them, a wrong token is refused and nothing is announced; an SSE stream
// resumes with Last-Event-ID; shutdown tells every member.

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { connectStream, type TestClient } from "../_client.ts";
import { ADMIN, HttpServerProc, run } from "../_http_server.ts";
import type { SseReader } from "../_sse.ts";
import { connectWs } from "../_ws_client.ts";

/** One member, whatever its transport: what it hears, and a way to speak. */
interface Member {
  name: string;
  next(): Promise<ChatEvent>;
  say(text: string): Promise<void>;
}

function streamMember(name: string, c: TestClient): Member {
  return {
    name,
    next: () => c.next(),
    say: (text) => Promise.resolve(c.send({ type: "say", text })),
  };
}

async function join(c: TestClient, name: string, binary: boolean) {
  if (binary) {
    c.send({ type: "hello", version: PROTOCOL_VERSION, software: "test/1" });
    assert.equal((await c.next()).type, "hello_ok");
  }
  c.send({ type: "join", room: "lobby", name });
  assert.equal((await c.next()).type, "welcome");
}

function curlAnnounce(url: string, token: string | undefined, text: string) {
  return run("curl", [
    "-sS",
    "-X",
    "POST",
    ...(token ? ["-H", `Authorization: Bearer ${token}`] : []),
    "-H",
    "Content-Type: application/json",
    "-d",
    JSON.stringify({ text }),
    "-w",
    "\n%{http_code}",
    `${url}/api/announcements`,
  ]);
}

Deno.test("http: TCP, Unix, WebSocket and SSE members share a room; curl announces to all; a wrong token announces nothing", async () => {
  const server = await HttpServerProc.start(["tcp", "unix", "http"]);
  const clients: TestClient[] = [];
  let sse: SseReader | undefined;
  try {
    const members: Member[] = [];
    const joinedBy = async (m: Member) => {
      for (const other of members) {
        assert.deepEqual(await other.next(), {
          type: "joined",
          room: "lobby",
          name: m.name,
        });
      }
      members.push(m);
    };
    const tcp = await connectStream(server.urls.tcp!);
    clients.push(tcp);
    await join(tcp, "tom", true);
    await joinedBy(streamMember("tom", tcp));
    const unix = await connectStream(server.urls.unix!);
    clients.push(unix);
    await join(unix, "uma", true);
    await joinedBy(streamMember("uma", unix));
    const ws = await connectWs(server.http);
    clients.push(ws);
    await join(ws, "wes", false);
    await joinedBy(streamMember("wes", ws));
    const token = await server.session("sue");
    sse = await server.events(token);
    const stream = sse;
    assert.equal((await stream.event()).event.type, "welcome");
    let lastId = 0;
    await joinedBy({
      name: "sue",
      next: async () => {
        const { id, event } = await stream.event();
        if (id !== undefined) lastId = id;
        return event;
      },
      say: async (text) => {
        const r = await server.call("POST", "/api/rooms/lobby/messages", {
          token,
          body: { text },
        });
        assert.equal(r.status, 202, JSON.stringify(r.body));
      },
    });

    // Everyone hears everyone else, and not themselves.
    for (const speaker of members) {
      const text = `hi from ${speaker.name} 你好`;
      await speaker.say(text);
      for (const m of members) {
        if (m === speaker) continue;
        assert.deepEqual(await m.next(), {
          type: "message",
          room: "lobby",
          from: speaker.name,
          text,
        }, `${m.name} hearing ${speaker.name}`);
      }
    }

    // A real curl with the admin token reaches all four.
    const ok = await curlAnnounce(server.http, ADMIN, "restart at 10");
    assert.equal(ok.code, 0, ok.stderr);
    const [okBody, okStatus] = ok.stdout.split("\n");
    assert.equal(okStatus, "202");
    assert.deepEqual(JSON.parse(okBody!), { rooms: 1, delivered: 4 });
    for (const m of members) {
      assert.deepEqual(await m.next(), {
        type: "announcement",
        room: null,
        text: "restart at 10",
      }, m.name);
    }

    // A wrong token and no token are refused, and nothing is announced:
    // the next thing everyone hears is tom's line.
    const wrong = await curlAnnounce(server.http, ADMIN + "x", "pwned");
    assert.equal(wrong.stdout.split("\n").at(-1), "403");
    assert.equal(JSON.parse(wrong.stdout.split("\n")[0]!).code, "FORBIDDEN");
    const none = await curlAnnounce(server.http, undefined, "pwned");
    assert.equal(none.stdout.split("\n").at(-1), "401");
    await members[0]!.say("after the refusals");
    for (const m of members.slice(1)) {
      assert.deepEqual(await m.next(), {
        type: "message",
        room: "lobby",
        from: "tom",
        text: "after the refusals",
      }, m.name);
    }

    // SSE resume: sue's stream drops; two lines are said; she comes back
    // with Last-Event-ID within the grace period and gets both.
    const before = lastId;
    assert.ok(before > 0);
    await sse.cancel();
    await members[0]!.say("while sue was away 1");
    for (const m of [members[1]!, members[2]!]) await m.next();
    await members[1]!.say("while sue was away 2");
    for (const m of [members[0]!, members[2]!]) await m.next();
    sse = await server.events(token, "lobby", before);
    const again = await sse.event();
    assert.equal(again.event.type, "welcome", "a fresh welcome first");
    assert.equal(again.id, undefined);
    const texts = [];
    for (let i = 0; i < 2; i++) {
      const { id, event } = await sse.event();
      assert.ok(id! > before);
      if (event.type === "message") texts.push(event.text);
    }
    assert.deepEqual(texts, ["while sue was away 1", "while sue was away 2"]);

    // SIGTERM: every member is told, on every transport; exit 0.
    server.proc.kill("SIGTERM");
    for (const c of [tcp, unix, ws]) {
      const e = await c.next();
      assert.equal(e.type === "left" && e.reason, "shutdown");
      await c.ended();
    }
    const bye = (await sse.event()).event;
    assert.deepEqual(bye, {
      type: "left",
      room: "lobby",
      name: "sue",
      reason: "shutdown",
    });
    await sse.ended();
    assert.equal((await server.proc.exit()).code, 0);
  } finally {
    for (const c of clients) await c.close();
    await server.stop();
  }
});
