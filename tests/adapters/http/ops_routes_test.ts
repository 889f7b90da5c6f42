// GET /healthz and GET /metrics (adapters/http/ops_routes.ts) through
// `app.request()`. The OpenAPI document is in app_test.ts and
// openapi_test.ts.

import assert from "node:assert/strict";
import { expectProblem, withApp } from "../_http_app.ts";

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
