// The HTTP app through `app.request()`: every route and every error status,
// with no socket. Sessions, streams and timing are in http_sessions_test.ts.

import assert from "node:assert/strict";
import { ROUTES } from "../../../adapters/http/routes.ts";
import { ADMIN, expectProblem, TestApp } from "../_http_app.ts";

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

Deno.test("http app: POST /api/announcements reaches every room, 202", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const bob = await t.member("bob", "games");
    const res = await t.post(
      "/api/announcements",
      { text: "restart at 10" },
      ADMIN,
    );
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { rooms: 2, delivered: 2 });
    const said = { type: "announcement", room: null, text: "restart at 10" };
    assert.deepEqual(amy.events, [said]);
    assert.deepEqual(bob.events, [said]);
    const one = await t.post(
      "/api/announcements",
      { text: "games only", room: "games" },
      ADMIN,
    );
    assert.deepEqual(await one.json(), { rooms: 1, delivered: 1 });
    assert.equal(amy.events.length, 1);
    assert.deepEqual(bob.events[1], {
      type: "announcement",
      room: "games",
      text: "games only",
    });
  });
});

Deno.test("http app: announcements without the admin token are 401, with a wrong one 403, and say nothing", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const none = await t.post("/api/announcements", { text: "x" });
    await expectProblem(none, 401, "UNAUTHORIZED");
    assert.equal(
      none.headers.get("www-authenticate"),
      'Bearer realm="roomcast"',
    );
    await expectProblem(
      await t.post("/api/announcements", { text: "x" }, ADMIN + "x"),
      403,
      "FORBIDDEN",
    );
    await expectProblem(
      await t.post("/api/announcements", { text: "x" }, "short"),
      403,
      "FORBIDDEN",
    );
    // Auth is checked before the body: a bad body without a token is 401.
    await expectProblem(
      await t.post("/api/announcements", "{nope"),
      401,
      "UNAUTHORIZED",
    );
    assert.deepEqual(amy.events, []);
    assert.equal(t.chat.stats.announcements, 0);
  });
});

Deno.test("http app: request bodies: malformed 400, wrong type 415, invalid 422, too large 413", async () => {
  await withApp(async (t) => {
    await expectProblem(
      await t.post("/api/announcements", '{"text":', ADMIN),
      400,
      "MALFORMED_JSON",
    );
    await expectProblem(
      await t.request("/api/announcements", {
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN}`,
          "content-type": "text/plain",
        },
        body: '{"text":"hi"}',
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    const wrong = await expectProblem(
      await t.post("/api/announcements", { text: 5 }, ADMIN),
      422,
      "INVALID_REQUEST",
    );
    assert.match(wrong.detail, /text/);
    await expectProblem(
      await t.post("/api/announcements", { text: "hi", extra: 1 }, ADMIN),
      422,
      "INVALID_REQUEST",
    );
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", {}),
      422,
      "INVALID_REQUEST",
    );
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", { name: "x".repeat(2000) }),
      413,
      "BODY_TOO_LARGE",
    );
  }, { http: { maxBodyBytes: 1024 } });
});

Deno.test("http app: the core's refusals keep their codes: MESSAGE_EMPTY, MESSAGE_TOO_LONG, ROOM_INVALID 422", async () => {
  await withApp(async (t) => {
    await expectProblem(
      await t.post("/api/announcements", { text: "  " }, ADMIN),
      422,
      "MESSAGE_EMPTY",
    );
    await expectProblem(
      await t.post("/api/announcements", { text: "x".repeat(101) }, ADMIN),
      422,
      "MESSAGE_TOO_LONG",
    );
    await expectProblem(
      await t.post("/api/announcements", { text: "hi", room: "" }, ADMIN),
      422,
      "ROOM_INVALID",
    );
  }, { limits: { maxMessageBytes: 100 } });
});

Deno.test("http app: GET /api/rooms and /api/rooms/{room}/members", async () => {
  await withApp(async (t) => {
    let res = await t.request("/api/rooms");
    assert.deepEqual(await res.json(), { rooms: [] });
    await t.member("amy");
    await t.member("bob");
    await t.member("cy", "games");
    res = await t.request("/api/rooms");
    assert.equal(res.status, 200);
    const { rooms } = await res.json();
    assert.deepEqual(
      rooms.sort((a: { name: string }, b: { name: string }) =>
        a.name.localeCompare(b.name)
      ),
      [{ name: "games", members: 1 }, { name: "lobby", members: 2 }],
    );
    res = await t.request("/api/rooms/lobby/members");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.members.sort(), ["amy", "bob"]);
    assert.equal(body.total, 2);
    assert.equal(body.room, "lobby");
    await expectProblem(
      await t.request("/api/rooms/empty/members"),
      404,
      "ROOM_NOT_FOUND",
    );
    await expectProblem(
      await t.request(`/api/rooms/${encodeURIComponent("a\u0007b")}/members`),
      422,
      "ROOM_INVALID",
    );
  });
});

Deno.test("http app: POST /api/rooms/{room}/sessions: 201, then NAME_TAKEN 409, NAME_INVALID and NAME_RESERVED 422", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const res = await t.post("/api/rooms/lobby/sessions", { name: " Bob " });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
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

Deno.test("http app: GET /api/ws without an upgrade is 426; an unknown token subprotocol 404", async () => {
  await withApp(async (t) => {
    const res = await t.request("/api/ws");
    assert.equal(res.headers.get("upgrade"), "websocket");
    await expectProblem(res, 426, "UPGRADE_REQUIRED");
    await expectProblem(
      await t.request("/api/ws", {
        headers: {
          upgrade: "websocket",
          "sec-websocket-protocol": "roomcast.v1, roomcast.token.nope",
        },
      }),
      404,
      "BAD_TOKEN",
    );
  });
});

Deno.test("http app: GET /healthz is 200, and 503 while shutting down", async () => {
  await withApp(async (t) => {
    let res = await t.request("/healthz");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
    await t.chat.shutdown();
    res = await t.request("/healthz");
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: "shutting_down" });
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", { name: "late" }),
      503,
      "SHUTTING_DOWN",
    );
  });
});

Deno.test("http app: GET /metrics in Prometheus text format", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    await t.post("/api/rooms/lobby/messages", { text: "hi" }, token);
    amy.say("hello");
    const res = await t.request("/metrics");
    assert.equal(res.status, 200);
    assert.match(
      res.headers.get("content-type") ?? "",
      /^text\/plain; version=0\.0\.4/,
    );
    const text = await res.text();
    const value = (line: string) => {
      const m = text.match(
        new RegExp(`^${line.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m"),
      );
      assert.ok(m, `no ${line} in\n${text}`);
      return Number(m[1]);
    };
    assert.equal(value('roomcast_connections{transport="http"}'), 1);
    assert.equal(value('roomcast_connections{transport="memory"}'), 1);
    assert.equal(value("roomcast_rooms"), 1);
    assert.equal(value("roomcast_members"), 2);
    assert.equal(value("roomcast_messages_in_total"), 2);
    assert.equal(value("roomcast_messages_out_total"), 2);
    assert.ok(value("roomcast_deliveries_total") >= 3);
    assert.equal(value("roomcast_dropped_total"), 0);
    assert.equal(value("roomcast_slow_consumers_total"), 0);
    assert.equal(value("roomcast_http_sessions"), 1);
    assert.equal(value('roomcast_http_streams{kind="sse"}'), 0);
    for (const line of text.trimEnd().split("\n")) {
      assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="[^"]*"\})? \d+)$/);
    }
  });
});

Deno.test("http app: GET /api/openapi.json lists every route; unknown routes are 404 problems", async () => {
  await withApp(async (t) => {
    const res = await t.request("/api/openapi.json");
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.match(doc.openapi, /^3\./);
    for (const route of Object.values(ROUTES)) {
      assert.ok(
        doc.paths[route.path]?.[route.method],
        `${route.method} ${route.path}`,
      );
    }
    assert.deepEqual(doc.components.securitySchemes.bearer, {
      type: "http",
      scheme: "bearer",
      description: "The admin token, or a session token.",
    });
    await expectProblem(await t.request("/api/nothing"), 404, "NOT_FOUND");
    await expectProblem(
      await t.request("/api/rooms", { method: "PUT" }),
      404,
      "NOT_FOUND",
    );
  });
});
