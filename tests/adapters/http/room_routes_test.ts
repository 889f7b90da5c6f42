// GET /api/rooms and /api/rooms/{room}/members
// (adapters/http/room_routes.ts) through `app.request()`.

import assert from "node:assert/strict";
import { expectProblem, withApp } from "../_http_app.ts";

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
