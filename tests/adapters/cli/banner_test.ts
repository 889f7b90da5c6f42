// The startup banner of `serve`: each address first, the admin token's
// file, what the console does, and the flags for machine logs.

import assert from "node:assert/strict";
import { formatBanner } from "../../../adapters/cli/banner.ts";
import { VERSION } from "../../../adapters/cli/version.ts";

Deno.test("banner: every address, the admin token file, the console, machine logs", () => {
  const text = formatBanner({
    version: "0.1.0",
    listeners: [
      { transport: "tcp", url: "tcp://127.0.0.1:7878" },
      { transport: "unix", url: "unix:///run/user/1000/roomcast.sock" },
      { transport: "http", url: "http://127.0.0.1:8787" },
      { transport: "udp", url: "udp://[::1]:7878" },
    ],
    adminToken: { source: "generated", file: "/tmp/roomcast-0-admin.token" },
    notes: ["file descriptors: 1024 (ulimit -n)"],
  });
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "ends with a line break");
  assert.equal(lines[0], "roomcast 0.1.0 is serving:");
  assert.match(
    lines[1]!,
    /^ {2}tcp:\/\/127\.0\.0\.1:7878 +join, or nc 127\.0\.0\.1 7878$/,
  );
  assert.match(
    lines[2]!,
    /^ {2}unix:\/\/\/run\/user\/1000\/roomcast\.sock +nc -U \/run\/user\/1000\/roomcast\.sock$/,
  );
  assert.match(lines[3]!, /^ {2}http:\/\/127\.0\.0\.1:8787\/ +the chat page/);
  assert.match(lines[4]!, /^ {2}udp:\/\/\[::1\]:7878 +nc -u \[::1\] 7878$/);
  assert.equal(lines[5], "  admin token: /tmp/roomcast-0-admin.token");
  assert.equal(lines[6], "  file descriptors: 1024 (ulimit -n)");
  assert.match(lines[7]!, /typed here are announced to every room/);
  assert.match(lines[8]!, /--quiet or --log json/);
  assert.ok(lines.length <= 10, "one short block");
  // The addresses line up.
  const column = (l: string) => l.search(/ {2}\S+$|\s{2}(join|nc|the)/);
  assert.equal(new Set(lines.slice(1, 5).map(column)).size, 1);
});

Deno.test("banner: an admin token from the environment has no file", () => {
  const text = formatBanner({
    version: VERSION,
    listeners: [{ transport: "http", url: "http://127.0.0.1:8787" }],
    adminToken: { source: "env" },
  });
  assert.match(text, /admin token: from CHAT_ADMIN_TOKEN/);
  const none = formatBanner({
    version: VERSION,
    listeners: [{ transport: "tcp", url: "tcp://127.0.0.1:7878" }],
  });
  assert.doesNotMatch(none, /admin token/);
});

Deno.test("banner: the version is deno.json's", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../../deno.json", import.meta.url)),
  ) as { version: string };
  assert.equal(VERSION, config.version);
});
