// The HTTP app as wired by adapters/http/app.ts, through `app.request()`
// with no socket: the checks every request body goes through, the error
// answers (adapters/http/error_handlers.ts), every route in the OpenAPI
// document. Each area's routes have their own *_routes_test.ts.

import assert from "node:assert/strict";
import { ROUTES } from "../../../adapters/http/routes.ts";
import { ADMIN, expectProblem, withApp } from "../_http_app.ts";

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
