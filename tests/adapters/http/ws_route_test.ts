// GET /api/ws (adapters/http/ws_route.ts) through `app.request()`: what is
// refused before the upgrade. WebSocket sessions themselves are in
// ws_test.ts.

import assert from "node:assert/strict";
import { expectProblem, withApp } from "../_http_app.ts";

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
