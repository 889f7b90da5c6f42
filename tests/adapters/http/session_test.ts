// HTTP sessions through `app.request()`: the SSE stream, Last-Event-ID
// resume from the per-room history, heartbeats, the grace period after a
// stream goes away, the idle timeout, and slow consumers. The clock is
// driven by hand (`t.t`, `hub.sweep()`, `chat.tick()`).

import assert from "node:assert/strict";
import { expectProblem, settle, TestApp } from "../_http_app.ts";

async function withApp(
  fn: (t: TestApp) => Promise<void>,
  options?: ConstructorParameters<typeof TestApp>[0],
): Promise<void> {
  const t = new TestApp(options);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

Deno.test("http sessions: the event stream has the welcome, then numbered room events, never the member's own", async () => {
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
    });
    const missed = await sse.event();
    assert.deepEqual(missed.event, {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "before the stream",
    });
    assert.ok(missed.id! > 0);
    await t.post("/api/rooms/lobby/messages", { text: "mine" }, token);
    amy.say("live");
    const live = await sse.event();
    assert.equal(live.id, missed.id! + 2, "bob's own message took an id");
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
    // The client lost "two" in flight: it resumes after "one".
    sse = await t.events(token, "lobby", one.id);
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

Deno.test("http sessions: a resume older than the room's history says so with an event: gap", async () => {
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
    assert.equal(info.after, first.id);
    assert.ok(info.lostUpTo > first.id!);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = (await sse.event()).event;
      if (e.type === "message") texts.push(e.text);
    }
    assert.deepEqual(texts, ["b", "c", "d"]);
  }, { http: { replayEvents: 3 } });
});

Deno.test("http sessions: no history before the member joined is replayed", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const early = await t.session("early"); // keeps lobby's history alive
    amy.say("before bob");
    const token = await t.session("bob");
    const sse = await t.events(token, "lobby", 0);
    assert.equal((await sse.event()).event.type, "welcome");
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

Deno.test("http sessions: heartbeats on idle streams, and a stream keeps its session from idling out", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    const sse = await t.events(token);
    await sse.event(); // welcome
    for (let i = 1; i <= 5; i++) {
      t.t = i * 1000;
      t.hub.sweep();
      t.chat.tick();
    }
    await sse.comment();
    assert.ok(sse.comments >= 1);
    assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
  }, { http: { heartbeatMs: 1000, idleTimeoutMs: 2000 } });
});

Deno.test("http sessions: a session with no stream and no requests times out (reason timeout)", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    t.t = 1500;
    await t.post("/api/rooms/lobby/messages", { text: "still here" }, token);
    t.t = 3000;
    t.chat.tick();
    assert.equal(t.hub.sessions, 1, "activity kept it");
    t.t = 3600;
    t.chat.tick();
    assert.deepEqual(amy.events.at(-1), {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "timeout",
    });
    assert.equal(t.hub.sessions, 0);
    await expectProblem(
      await t.post("/api/rooms/lobby/messages", { text: "x" }, token),
      404,
      "BAD_TOKEN",
    );
  }, { http: { idleTimeoutMs: 2000 } });
});

Deno.test("http sessions: a stream that goes away leaves after the grace period (reason disconnect), unless it comes back", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    let sse = await t.events(token);
    await sse.event();
    await sse.cancel();
    await settle();
    t.t = 400;
    t.hub.sweep();
    sse = await t.events(token); // back within the grace period
    t.t = 5000;
    t.hub.sweep();
    assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
    await sse.cancel();
    await settle();
    t.t = 5400;
    t.hub.sweep();
    assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
    t.t = 5600;
    t.hub.sweep();
    assert.deepEqual(amy.events.at(-1), {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "disconnect",
    });
    assert.equal(t.hub.streams.sse, 0);
  }, { http: { graceMs: 500 } });
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

Deno.test("http sessions: the session of another room cannot stream this one (409); leaving ends the stream", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    await expectProblem(
      await t.request("/api/rooms/games/events", {
        headers: { authorization: `Bearer ${token}` },
      }),
      409,
      "NOT_JOINED",
    );
    await expectProblem(
      await t.request("/api/rooms/lobby/events"),
      401,
      "BAD_TOKEN",
    );
    const sse = await t.events(token);
    await sse.event();
    await t.request("/api/sessions/me", {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.deepEqual((await sse.event()).event, {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "quit",
    });
    await sse.ended();
    assert.equal(amy.events.at(-1)?.type, "left");
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
