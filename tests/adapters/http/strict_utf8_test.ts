// Request bodies are as strict about text as binary frames
// (adapters/http/strict_utf8.ts): invalid UTF-8, or a lone surrogate in a
// JSON string, is 400 INVALID_UTF8, and nothing reaches the members.

import assert from "node:assert/strict";
import {
  jsonTextWellFormed,
  wellFormed,
} from "../../../adapters/http/strict_utf8.ts";
import { expectProblem, withApp } from "../_http_app.ts";

Deno.test("http app: a body that is not valid UTF-8 is 400 INVALID_UTF8 on every POST route", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    amy.events.length = 0;
    const bad = (text: string) => {
      const ascii = new TextEncoder().encode(text);
      const at = ascii.indexOf(0x40); // "@" becomes a lone continuation byte
      const bytes = ascii.slice();
      bytes[at] = 0x80;
      return bytes;
    };
    const routes: [string, string, string | undefined][] = [
      ["/api/rooms/lobby/sessions", '{"name":"c@rl"}', undefined],
      ["/api/rooms/lobby/messages", '{"text":"hi @ all"}', token],
      ["/api/announcements", '{"text":"hi @ all"}', "admin"],
    ];
    for (const [path, json, auth] of routes) {
      const res = await t.request(path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(auth === "admin"
            ? { authorization: "Bearer test-admin-token-0123456789" }
            : auth
            ? { authorization: `Bearer ${auth}` }
            : {}),
        },
        body: bad(json),
      });
      await expectProblem(res, 400, "INVALID_UTF8");
    }
    assert.deepEqual(amy.events, []);
  });
});

Deno.test("http app: a lone surrogate in a JSON string is 400 INVALID_UTF8, a pair is text", async () => {
  await withApp(async (t) => {
    const amy = await t.member("amy");
    const token = await t.session("bob");
    amy.events.length = 0;
    for (const body of ['{"text":"\\ud800"}', '{"text":"a\\udfffb"}']) {
      await expectProblem(
        await t.post("/api/rooms/lobby/messages", body, token),
        400,
        "INVALID_UTF8",
      );
    }
    await expectProblem(
      await t.post("/api/rooms/lobby/sessions", '{"name":"\\ud83d"}'),
      400,
      "INVALID_UTF8",
    );
    assert.deepEqual(amy.events, []);
    // An escaped pair is one character, and goes through.
    const res = await t.post(
      "/api/rooms/lobby/messages",
      '{"text":"\\ud83d\\ude42"}',
      token,
    );
    assert.equal(res.status, 202);
    assert.deepEqual(amy.events, [{
      type: "message",
      room: "lobby",
      from: "bob",
      text: "🙂",
    }]);
  });
});

Deno.test("strict utf8: wellFormed looks at every string and key", () => {
  assert.equal(wellFormed(null), true);
  assert.equal(wellFormed([1, "a", { b: ["c"] }]), true);
  assert.equal(wellFormed([1, "a", { b: ["\ud800"] }]), false);
  assert.equal(wellFormed({ ["\udc00"]: 1 }), false);
  assert.equal(jsonTextWellFormed('{"a":"\\u0041"}'), true);
  assert.equal(jsonTextWellFormed('{"a":"\\ud800\\u0041"}'), false);
  assert.equal(jsonTextWellFormed("not json \\u"), true);
});
