// `cli.ts join` as a real process: --json output, and the exit codes when
// nothing listens (4) and when the server dies (5).

import assert from "node:assert/strict";
import { PERMISSIONS, Proc, startServe } from "../../_process.ts";
import { join, withProcs } from "./_cli.ts";

Deno.test("cli: join --json prints one JSON object a line", async () => {
  await withProcs(async (dir, track) => {
    const server = await startServe(
      ["--port", "0", "--http-port", "0", "--socket", `${dir}/chat.sock`],
    );
    track(server.proc);
    const amy = track(
      join(["--name", "amy", "--server", server.unix!, "--json"]),
    );
    await amy.expect('"type":"welcome"');
    // Piped input: joins, says hi, leaves at end of input with exit 0.
    const bob = Proc.deno([
      ...PERMISSIONS.client,
      "cli.ts",
      "join",
      "--name",
      "bob",
      "--server",
      server.tcp!,
    ]);
    track(bob);
    await bob.write("hi\n");
    await bob.closeStdin();
    assert.equal((await bob.exit()).code, 0, bob.stdout + bob.stderr);
    await amy.expect('"reason":"quit"}');
    await server.proc.write("hello all\n");
    await amy.expect('"type":"announcement"');
    server.proc.kill("SIGTERM");
    assert.equal((await amy.exit()).code, 5);
    const events = amy.stdout.trim().split("\n").map((l) => JSON.parse(l));
    // join speaks version 2: its welcome has the resume fields.
    const resume = events[0]?.resume;
    assert.match(resume?.token, /^[0-9a-z]{1,7}\.[A-Za-z0-9_-]{24}$/);
    assert.deepEqual(events, [
      {
        type: "welcome",
        room: "lobby",
        name: "amy",
        total: 1,
        members: ["amy"],
        resume: { token: resume.token, graceMs: 60000, seq: 0, lost: 0 },
      },
      { type: "joined", room: "lobby", name: "bob" },
      { type: "message", room: "lobby", from: "bob", text: "hi" },
      { type: "left", room: "lobby", name: "bob", reason: "quit" },
      { type: "announcement", room: null, text: "hello all" },
      { type: "left", room: "lobby", name: "amy", reason: "shutdown" },
    ]);
    assert.equal((await server.proc.exit()).code, 0);
  });
});

Deno.test("cli: exit 4 when nothing listens", async () => {
  await withProcs(async (dir, track) => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = l.addr.port;
    l.close();
    for (
      const server of [`tcp://127.0.0.1:${port}`, `unix://${dir}/none.sock`]
    ) {
      const p = track(join(["--name", "bob", "--server", server]));
      assert.equal((await p.exit()).code, 4, p.stderr);
      assert.match(p.stderr, /error: Cannot connect to /);
      assert.doesNotMatch(p.stderr, /\n\s+at /, "no stack trace");
    }
  });
});

Deno.test("cli: join exits 5 when the server dies", async () => {
  await withProcs(async (dir, track) => {
    const server = await startServe(
      ["--port", "0", "--socket", `${dir}/chat.sock`],
    );
    track(server.proc);
    const amy = track(join(["--name", "amy", "--server", server.tcp!]));
    const bob = track(
      join(["--name", "bob", "--server", server.unix!, "--lang", "zh"]),
    );
    await amy.expect("you are amy in lobby");
    await bob.expect("你是 bob,在 lobby 聊天室");
    server.proc.kill("SIGKILL");
    assert.equal((await amy.exit()).code, 5);
    assert.equal((await bob.exit()).code, 5);
    // On stderr, with the other errors: stdout is the chat.
    assert.match(amy.stderr, /disconnected by the server\n$/);
    assert.match(bob.stderr, /与服务器的连接已断开\n$/);
  });
});
