// What reaches an HTTP session's event stream (adapters/http/event_feed.ts),
// through `app.request()`: the SSE stream, Last-Event-ID resume from the
// member's sent log (also after its session went away), gaps, a stream
// replacing another, and slow consumers.

import assert from "node:assert/strict";
import { expectProblem, settle, withApp } from "../_http_app.ts";

Deno.test("http sessions: the event stream has the welcome, then numbered events, never the member's own", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    amy.say("before the stream");
    const sse = await t.events(token);
    const first = await sse.event();
    assert.equal(first.id, undefined);
    assert.deepEqual(first.event, {
      type: "welcome",
      room: "lobby",
      name: "bob",
      members: ["amy", "bob"],
      total: 2,
      resume: { token, graceMs: 60_000, seq: 0, lost: 0 },
    });
    const missed = await sse.event();
    assert.deepEqual(missed.event, {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "before the stream",
    });
    assert.equal(missed.id, 1);
    const said = await t.post(
      "/api/rooms/lobby/messages",
      { text: "mine" },
      token,
    );
    assert.deepEqual(await said.json(), { id: 1 }, "after event 1");
    amy.say("live");
    const live = await sse.event();
    assert.equal(live.id, 2, "bob's own message is not in his stream");
    assert.deepEqual(live.event, {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "live",
    });
    assert.ok(sse.retries.length === 1 && sse.retries[0]! > 0);
    assert.equal(t.hub.streams.sse, 1);
  });
});

Deno.test("http sessions: Last-Event-ID resumes after the last event the client has", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    let sse = await t.events(token);
    await sse.event(); // welcome
    amy.say("one");
    const one = await sse.event();
    amy.say("two");
    await sse.event();
    await sse.cancel();
    await settle();
    amy.say("three");
    // The client lost "two" in flight: it resumes after "one", with a
    // fresh welcome first.
    sse = await t.events(token, "lobby", one.id);
    assert.equal((await sse.event()).event.type, "welcome");
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const e = (await sse.event()).event;
      if (e.type === "message") texts.push(e.text);
    }
    assert.deepEqual(texts, ["two", "three"]);
    await expectProblem(
      await t.request("/api/rooms/lobby/events", {
        headers: { authorization: `Bearer ${token}`, "last-event-id": "x1" },
      }),
      422,
      "INVALID_REQUEST",
    );
  });
});

Deno.test("http sessions: a resume older than the member's kept events says so with an event: gap", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    let sse = await t.events(token);
    await sse.event(); // welcome
    amy.say("kept?");
    const first = await sse.event();
    await sse.cancel();
    await settle();
    for (const text of ["a", "b", "c", "d"]) amy.say(text);
    sse = await t.events(token, "lobby", first.id);
    const gap = await sse.next();
    assert.equal(gap.event, "gap");
    const info = JSON.parse(gap.data);
    assert.equal(info.type, "gap");
    assert.deepEqual(info, { type: "gap", after: first.id, lostUpTo: 2 });
    assert.equal((await sse.event()).event.type, "welcome");
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = (await sse.event()).event;
      if (e.type === "message") texts.push(e.text);
    }
    assert.deepEqual(texts, ["b", "c", "d"]);
  }, { limits: { replayEvents: 3 } });
});

Deno.test("http sessions: what was said before the member joined comes as history, never as live", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const early = await t.session("early");
    amy.say("before bob");
    const token = await t.session("bob");
    const sse = await t.events(token, "lobby", 0);
    assert.equal((await sse.event()).event.type, "welcome");
    const past = await sse.event();
    assert.equal(past.id, 1);
    assert.deepEqual(past.event, {
      type: "history",
      time: 0,
      event: {
        type: "message",
        room: "lobby",
        from: "amy",
        text: "before bob",
      },
    });
    amy.say("after bob");
    const e = (await sse.event()).event;
    assert.deepEqual(e, {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "after bob",
    });
    assert.ok(early);
  });
});

Deno.test("http sessions: a second stream for the same session replaces the first", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    const first = await t.events(token);
    await first.event();
    const second = await t.events(token);
    await first.ended();
    amy.say("to the new one");
    assert.equal((await second.event()).event.type, "message");
    assert.equal(t.hub.streams.sse, 1);
  });
});

Deno.test("http sessions: an SSE reader that stops reading is cut off as a slow consumer; others go on", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const carol = await t.member("carol");
    const token = await t.session("bob");
    const sse = await t.events(token); // never read
    const text = "x".repeat(900);
    for (let i = 0; i < 40 && t.hub.sessions > 0; i++) {
      amy.say(text);
      await settle();
    }
    assert.equal(t.hub.sessions, 0);
    assert.deepEqual(
      carol.events.filter((e) => e.type === "left"),
      [{ type: "left", room: "lobby", name: "bob", reason: "slow_consumer" }],
    );
    assert.equal(t.chat.stats.slowConsumers, 1);
    assert.ok(t.chat.stats.dropped >= 1);
    await sse.cancel();
    amy.say("still fine");
    assert.equal(carol.events.at(-1)?.type, "message");
  }, { limits: { outboundBytes: 8192 } });
});
