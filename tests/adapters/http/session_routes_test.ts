// HTTP sessions' routes (adapters/http/session_routes.ts) through
// `app.request()`: join, say, leave, with every error status. The event
// stream is in event_feed_test.ts and session_test.ts.

import assert from "node:assert/strict";
import { expectProblem, withApp } from "../_http_app.ts";

Deno.test("http app: POST /api/rooms/{room}/sessions: 201, then NAME_TAKEN 409, NAME_INVALID and NAME_RESERVED 422", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const res = await t.post("/api/rooms/lobby/sessions", { name: " Bob " });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.match(body.token, /^[0-9a-z]{1,7}\.[A-Za-z0-9_-]{24}$/);
    assert.equal(body.room, "lobby");
    assert.equal(body.name, "Bob");
    assert.deepEqual(amy.events, [{
      type: "joined",
      room: "lobby",
      name: "Bob",
    }]);
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", { name: "BOB" }),
      409,
      "NAME_TAKEN",
    );
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", { name: "a\u0007b" }),
      422,
      "NAME_INVALID",
    );
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", { name: "Admin" }),
      422,
      "NAME_RESERVED",
    );
    // Refused sessions are gone: one HTTP session, no stray connections.
    assert.equal(t.hub.sessions, 1);
    assert.equal(t.chat.stats.connections.get("http"), 1);
  });
});

Deno.test("http app: sessions over the connection limit are 503 SERVER_FULL", async () => {
  await withApp(async (t) => {
    await t.session("amy");
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", { name: "bob" }),
      503,
      "SERVER_FULL",
    );
    assert.equal(t.hub.sessions, 1);
  }, { limits: { maxConnections: 1 } });
});

Deno.test("http app: POST /api/rooms/{room}/messages: 202 with the event id; 401, 404, 409, 422, 429", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    amy.events.length = 0;
    const res = await t.post(
      "/api/rooms/lobby/messages",
      { text: "hi" },
      token,
    );
    assert.equal(res.status, 202);
    const { id } = await res.json();
    assert.equal(typeof id, "number");
    assert.deepEqual(amy.events, [
      { type: "message", room: "lobby", from: "bob", text: "hi" },
    ]);
    const none = await t.post("/api/rooms/lobby/messages", { text: "hi" });
    await expectProblem(none, 401, "BAD_TOKEN");
    await expectProblem(
      await t.post("/api/rooms/lobby/messages", { text: "hi" }, "nope"),
      404,
      "BAD_TOKEN",
    );
    await expectProblem(
      await t.post("/api/rooms/games/messages", { text: "hi" }, token),
      409,
      "NOT_JOINED",
    );
    await expectProblem(
      await t.post("/api/rooms/lobby/messages", { text: "" }, token),
      422,
      "MESSAGE_EMPTY",
    );
    await expectProblem(
      await t.post(
        "/api/rooms/lobby/messages",
        { text: "x".repeat(101) },
        token,
      ),
      422,
      "MESSAGE_TOO_LONG",
    );
    // The burst is 2 and the clock stands still: the next one is over.
    await t.post("/api/rooms/lobby/messages", { text: "two" }, token);
    const limited = await t.post(
      "/api/rooms/lobby/messages",
      { text: "3" },
      token,
    );
    assert.equal(limited.headers.get("retry-after"), "1");
    await expectProblem(limited, 429, "RATE_LIMITED");
    assert.deepEqual(amy.events.map((e) => e.type === "message" && e.text), [
      "hi",
      "two",
    ]);
  }, {
    limits: { maxMessageBytes: 100, messagesPerSecond: 1, messageBurst: 2 },
  });
});

Deno.test("http app: DELETE /api/sessions/me leaves (quit); the token is dead after", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    amy.events.length = 0;
    const del = (tok?: string) =>
      t.request("/api/sessions/me", {
        method: "DELETE",
        headers: tok ? { authorization: `Bearer ${tok}` } : {},
      });
    const res = await del(token);
    assert.equal(res.status, 204);
    assert.deepEqual(amy.events, [
      { type: "left", room: "lobby", name: "bob", reason: "quit" },
    ]);
    await expectProblem(await del(token), 404, "BAD_TOKEN");
    await expectProblem(await del(), 401, "BAD_TOKEN");
    assert.equal(t.hub.sessions, 0);
  });
});
