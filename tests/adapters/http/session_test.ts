// The life of an HTTP session (adapters/http/session.ts and the hub's clock)
// through `app.request()`: heartbeats, the idle timeout, the grace period
// after a stream goes away or the session idles out, and leaving. The clock
// is driven by hand (`t.t`, `hub.sweep()`, `chat.tick()`).

import assert from "node:assert/strict";
import { expectProblem, settle, withApp } from "../_http_app.ts";

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

Deno.test("http sessions: a session with no stream and no requests times out (reason timeout) after its grace period", async () => {
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
    assert.equal(t.hub.sessions, 0, "timed out");
    assert.equal(t.chat.detached, 1, "in its grace period");
    // A request within the grace period brings it back, unseen by the room.
    t.t = 4000;
    const said = await t.post(
      "/api/rooms/lobby/messages",
      { text: "back" },
      token,
    );
    assert.equal(said.status, 202);
    assert.equal(t.hub.sessions, 1);
    assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
    t.t = 6000;
    t.chat.tick();
    t.t = 7000;
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
  }, { http: { idleTimeoutMs: 2000 }, limits: { resumeGraceMs: 1000 } });
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
    t.chat.tick();
    sse = await t.events(token); // back within the grace period
    t.t = 5000;
    t.chat.tick();
    assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
    await sse.cancel();
    await settle();
    t.t = 5400;
    t.chat.tick();
    assert.deepEqual(amy.events.filter((e) => e.type === "left"), []);
    t.t = 5600;
    t.chat.tick();
    assert.deepEqual(amy.events.at(-1), {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "disconnect",
    });
    assert.equal(t.hub.streams.sse, 0);
  }, { limits: { resumeGraceMs: 500 } });
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
