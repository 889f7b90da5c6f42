// History and resume in serverless mode: a real `deno serve --parallel
// --unstable-kv adapters/http/app.ts` with two isolates. A WebSocket lands
// on the isolate the kernel picks for its connection; its resume token
// starts with that isolate's tag, which tells the test where it is, and a
// socket that landed on the wrong one leaves and tries again.

import assert from "node:assert/strict";
import type { ChatEvent } from "../../../core/events.ts";
import { connectWs, type WsTestClient } from "../_ws_client.ts";
import type { Proc } from "../../_process.ts";
import { homeOf, Serverless } from "./_serverless.ts";

/**
 * A version 2 WebSocket member of the lobby on the isolate tagged `tag`
 * (one that lands elsewhere leaves, which closes it, and another tries),
 * with the `history` events after its welcome.
 */
async function memberOn(
  s: Serverless,
  tag: string,
  name: string,
  history: number,
  sockets: WsTestClient[],
): Promise<{ ws: WsTestClient; token: string; history: ChatEvent[] }> {
  for (let i = 0; i < 40; i++) {
    const { ws, token } = await member(s, name, sockets);
    if (homeOf(token) === tag) {
      const past: ChatEvent[] = [];
      for (let j = 0; j < history; j++) past.push(await ws.next());
      return { ws, token, history: past };
    }
    ws.send({ type: "leave" });
    // Told `left` once the name is free on every isolate: the next try
    // can take it at once, wherever it lands.
    let e = await ws.next();
    while (!(e.type === "left" && e.name === name)) e = await ws.next();
    await ws.close();
  }
  throw new Error(`no socket landed on isolate ${tag}`);
}

/** A version 2 WebSocket member of the lobby, on either isolate. */
async function member(
  s: Serverless,
  name: string,
  sockets: WsTestClient[],
): Promise<{ ws: WsTestClient; token: string; seq: number }> {
  const ws = await connectWs(s.url);
  sockets.push(ws);
  ws.send({ type: "hello", version: 2, software: "test/2" });
  assert.equal((await ws.next()).type, "hello_ok");
  ws.send({ type: "join", room: "lobby", name });
  const welcome = await ws.next();
  assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
  const resume = welcome.type === "welcome" ? welcome.resume : undefined;
  assert.ok(resume !== undefined);
  return { ws, token: resume.token, seq: resume.seq };
}

const text = (e: ChatEvent) =>
  e.type === "history"
    ? `history ${e.event.text}`
    : e.type === "message"
    ? `${e.from}: ${e.text}`
    : e.type;

/** Resumes handed over from another isolate, as the server logged them. */
function crossed(s: Serverless): number {
  return s.proc.stderr.match(/ resume session=\d+ from=cluster /g)?.length ?? 0;
}

Deno.test("serverless: a late joiner on one isolate gets the history said on the other; a member cut on one resumes on the other with what it missed, once and in order, and the room sees nothing", async () => {
  const s = await Serverless.start();
  const sockets: WsTestClient[] = [];
  try {
    // amy's session lives on isolate A, pat's on B; each speaks there.
    const { a: amy, b: pat, name: patName } = await s.spread("amy", "pat");
    for (let i = 1; i <= 3; i++) await s.say(amy, `line ${i}`);
    const lee = await memberOn(s, homeOf(pat), "lee", 3, sockets);
    assert.deepEqual(lee.history.map(text), [
      "history line 1",
      "history line 2",
      "history line 3",
    ]);
    // /messages is the same on either isolate (amy's requests go to A,
    // pat's to B).
    const onA = await s.call("GET", "/api/rooms/lobby/messages", {
      token: amy,
    });
    const onB = await s.call("GET", "/api/rooms/lobby/messages", {
      token: pat,
    });
    assert.equal(onA.status, 200, JSON.stringify(onA.body));
    assert.equal((onA.body as { messages: unknown[] }).messages.length, 3);
    assert.deepEqual(onB.body, onA.body);
    // bob, a WebSocket member, is cut and comes back on a new connection,
    // until one lands on the other isolate than the one holding him: what
    // he missed (said on both isolates) comes once, in order, each time.
    const bob = await member(s, "bob", sockets);
    assert.equal(text(await lee.ws.next()), "joined");
    let ws = bob.ws;
    let seq = bob.seq + 3; // the history after his welcome
    for (let i = 0; i < 20 && crossed(s) === 0; i++) {
      await ws.close();
      // One after the other everywhere: lee (on B) has a before b is said.
      await s.say(amy, `a${i}`);
      assert.equal(text(await lee.ws.next()), `amy: a${i}`);
      await s.say(pat, `b${i}`);
      assert.equal(text(await lee.ws.next()), `${patName}: b${i}`);
      ws = await connectWs(s.url);
      sockets.push(ws);
      ws.send({ type: "hello", version: 2, software: "test/2" });
      assert.equal((await ws.next()).type, "hello_ok");
      ws.send({ type: "resume", token: bob.token, seen: seq });
      const welcome = await ws.next();
      assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
      if (welcome.type === "welcome") {
        assert.equal(welcome.name, "bob");
        assert.equal(welcome.resume?.seq, seq);
        assert.equal(welcome.resume?.lost, 0);
      }
      assert.equal(text(await ws.next()), `amy: a${i}`);
      assert.equal(text(await ws.next()), `${patName}: b${i}`);
      // Nothing twice: the next one is live.
      await s.say(amy, `c${i}`);
      assert.equal(text(await ws.next()), `amy: c${i}`);
      assert.equal(text(await lee.ws.next()), `amy: c${i}`);
      seq += 3;
    }
    assert.ok(crossed(s) > 0, "no resume landed on the other isolate");
    ws.send({ type: "say", text: "I am back" });
    // lee saw no leave and no enter: only the messages.
    assert.equal(text(await lee.ws.next()), "bob: I am back");
  } catch (e) {
    throw withLog(e, s.proc);
  } finally {
    for (const w of sockets) await w.close();
    await s.stop();
  }
});

/** A failure, with the end of the server's log. */
function withLog(e: unknown, proc: Proc): Error {
  const what = e instanceof Error ? e.message : String(e);
  return new Error(`${what}\n--- server ---\n${proc.stderr.slice(-5000)}`, {
    cause: e,
  });
}
