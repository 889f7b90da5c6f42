// POST /api/announcements (adapters/http/announcement_routes.ts) through
// `app.request()`: delivery, the admin token, the core's refusals.

import assert from "node:assert/strict";
import { ADMIN, expectProblem, withApp } from "../_http_app.ts";

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
