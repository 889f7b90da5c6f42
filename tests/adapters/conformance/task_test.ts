// `deno task conformance` as a user runs it: against a `cli.ts serve`
// process (a server the kit knows nothing about), against something that
// does not speak the protocol at all, and with bad flags.

import assert from "node:assert/strict";
import { Proc, startServe, withAll } from "../../_process.ts";

function conformance(args: string[]): Proc {
  return new Proc(Deno.execPath(), ["task", "-q", "conformance", ...args], {
    stdin: false,
  });
}

Deno.test("deno task conformance: roomcast passes over TCP and prints the table", async () => {
  await withAll(async (track) => {
    const server = await startServe(["--transport", "tcp", "--port", "0"], 1);
    track(server.proc);
    const kit = track(conformance(["--server", server.tcp!]));
    const status = await kit.exit(120_000);
    assert.equal(status.code, 0, kit.stdout + kit.stderr);
    assert.match(kit.stdout, /^roomcast protocol conformance: tcp:\/\//);
    assert.match(kit.stdout, /PASS {2}handshake {2}a HELLO sent again/);
    assert.match(kit.stdout, /skip {2}udp/);
    assert.match(kit.stdout, /\n\d+ passed, 0 failed, \d+ skipped/);
  });
});

Deno.test("deno task conformance: a server that does not speak the protocol fails, exit 1", async () => {
  await withAll(async (track) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    track({ close: () => Promise.resolve(listener.close()) });
    (async () => {
      for await (const conn of listener) conn.close(); // says nothing
    })().catch(() => {});
    const url = `tcp://127.0.0.1:${listener.addr.port}`;
    const kit = track(
      conformance(["--server", url, "--only", "chat", "--json"]),
    );
    const status = await kit.exit(120_000);
    assert.equal(status.code, 1, kit.stdout + kit.stderr);
    const results = JSON.parse(kit.stdout) as {
      status: string;
      group: string;
    }[];
    const run = results.filter((r) => r.status !== "skip");
    assert.ok(run.length > 0);
    assert.ok(run.every((r) => r.group === "chat" && r.status === "fail"));
  });
});

Deno.test("deno task conformance: bad flags exit 2", async () => {
  for (const args of [[], ["--server", "http://127.0.0.1:1"]]) {
    const kit = conformance(args);
    try {
      assert.equal((await kit.exit(60_000)).code, 2, kit.stderr);
    } finally {
      await kit.stop();
    }
  }
});
