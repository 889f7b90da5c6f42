// A multi-line message, typed on the web page with Shift+Enter (here: posted
// over the HTTP API, as the page's session does), reaches a `join` terminal
// and an `nc` text session as lines, each after the first indented under
// the sender, tabs kept; dangerous controls still escaped.

import assert from "node:assert/strict";
import { Proc, type Track, withAll } from "../../_process.ts";

async function serveProc(track: Track) {
  const proc = track(Proc.cli("serve", [
    "serve",
    "--transport",
    "tcp,http",
    "--port",
    "0",
    "--http-port",
    "0",
  ], { env: { CHAT_ADMIN_TOKEN: "a-long-secret-token-for-tests" } }));
  const urls: Record<string, string> = {};
  for (let i = 0; i < 2; i++) {
    const m = await proc.expect(/listen transport=(\w+) url=(\S+)/, "stderr");
    urls[m[1]!] = m[2]!;
  }
  return urls;
}

Deno.test("multi-line: a message with line breaks and a tab shows as indented lines in join and nc", async () => {
  await withAll(async (track) => {
    const urls = await serveProc(track);
    const amy = track(
      Proc.cli("client", ["join", "--name", "amy", "--server", urls.tcp!]),
    );
    await amy.expect("you are amy in lobby");
    const bob = track(new Proc("nc", ["127.0.0.1", new URL(urls.tcp!).port]));
    await bob.expect("name (名字): ");
    await bob.write("bob\n");
    await bob.expect("you are bob in lobby");

    const joined = await fetch(`${urls.http}/api/rooms/lobby/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "web" }),
    });
    assert.equal(joined.status, 201);
    const { token } = await joined.json() as { token: string };
    track({
      close: async () => {
        const res = await fetch(`${urls.http}/api/sessions/me`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${token}` },
        });
        await res.body?.cancel();
      },
    });
    const said = await fetch(`${urls.http}/api/rooms/lobby/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        text: "hello\nsecond line\tand a tab\r\nthird \x1b[2J line",
      }),
    });
    assert.equal(said.status, 202);
    await said.body?.cancel();
    const shown =
      "web says: hello\n  second line\tand a tab\n  third \\u{1b}[2J line\n";
    await amy.expect(shown);
    await bob.expect(shown);
    assert.doesNotMatch(amy.stdout + bob.stdout, /\\u\{a\}|\\u\{9\}/);
  });
});
