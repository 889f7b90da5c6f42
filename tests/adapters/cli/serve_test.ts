// `cli.ts serve` as a real process: its socket file and port are never
// stolen, a relative --socket is announced absolute, and it accepts again
// after running out of file descriptors.

import assert from "node:assert/strict";
import { CLI, PERMISSIONS, Proc, startServe } from "../../_process.ts";
import { gone, join, withProcs } from "./_cli.ts";

Deno.test("cli: a stale socket file is replaced, a live one is not stolen", async () => {
  await withProcs(async (dir, track) => {
    const socket = `${dir}/chat.sock`;
    // A crash: a process listening on the path, killed with SIGKILL.
    const crashed = track(
      new Proc(Deno.execPath(), [
        "eval",
        `const l = Deno.listen({ transport: "unix", path: ${
          JSON.stringify(socket)
        } });
         console.log("ready"); await l.accept();`,
      ]),
    );
    await crashed.expect("ready");
    crashed.kill("SIGKILL");
    await crashed.exit();
    assert.ok((await Deno.lstat(socket)).isSocket, "stale socket left behind");

    const server = await startServe(["-t", "unix", "--socket", socket], 1);
    track(server.proc);
    const amy = track(join(["--name", "amy", "--server", socket]));
    await amy.expect("you are amy in lobby");

    // A second server on the same path: refused, the first one untouched.
    const thief = track(
      Proc.cli("serve", ["serve", "-t", "unix", "--socket", socket]),
    );
    const refused = await thief.exit();
    assert.notEqual(refused.code, 0);
    assert.match(
      thief.stderr,
      /error: Cannot listen on .*another server is listening there/,
    );
    assert.doesNotMatch(thief.stderr, /\n\s+at /, "no stack trace");
    const bob = track(join(["--name", "bob", "--server", `unix://${socket}`]));
    await bob.expect("you are bob in lobby");
    await amy.expect("bob entered the room");

    // Its TCP port is not stolen either.
    const tcp = await startServe(["-t", "tcp", "--port", "0"], 1);
    track(tcp.proc);
    const port = new URL(tcp.tcp!).port;
    const other = track(
      Proc.cli("serve", ["serve", "-t", "tcp", "--port", port]),
    );
    assert.notEqual((await other.exit()).code, 0);
    assert.match(
      other.stderr,
      new RegExp(`error: Cannot listen on 127.0.0.1:${port}: `),
    );
    // Only why, and what to do: no shutdown of a chat that never served.
    assert.match(other.stderr, /hint: .*pick another port with --port/);
    assert.doesNotMatch(
      other.stderr,
      /shutdown|stopped|roomcast .* is serving/,
    );
    // The HTTP port in use names --http-port.
    const http = track(
      Proc.cli("serve", [
        "serve",
        "-t",
        "tcp,http",
        "--port",
        "0",
        "--http-port",
        port,
      ]),
    );
    assert.equal((await http.exit()).code, 1);
    assert.match(http.stderr, /hint: .*--http-port/);
    assert.doesNotMatch(http.stderr, /shutdown/);

    // A file that is not a socket is never removed.
    const plain = `${dir}/plain.txt`;
    await Deno.writeTextFile(plain, "keep me");
    const blocked = track(
      Proc.cli("serve", ["serve", "-t", "unix", "--socket", plain]),
    );
    assert.notEqual((await blocked.exit()).code, 0);
    assert.match(blocked.stderr, /not a socket/);
    assert.equal(await Deno.readTextFile(plain), "keep me");

    server.proc.kill("SIGTERM");
    tcp.proc.kill("SIGTERM");
    assert.equal((await server.proc.exit()).code, 0);
    assert.equal((await tcp.proc.exit()).code, 0);
    assert.ok(await gone(socket), "socket file removed");
  });
});

Deno.test("cli: a relative --socket path is announced as an absolute URL", async () => {
  await withProcs(async (dir, track) => {
    const proc = track(
      Proc.cli("serve", ["serve", "-t", "unix", "--socket", "rel.sock"], {
        cwd: dir,
      }),
    );
    const m = await proc.expect(/listen transport=unix url=(\S+)/, "stderr");
    assert.equal(m[1], `unix://${dir}/rel.sock`);
    const amy = track(join(["--name", "amy", "--server", m[1]!]));
    await amy.expect("you are amy in lobby");
  });
});

Deno.test("cli: the server accepts again after running out of file descriptors", async () => {
  await withProcs(async (_dir, track) => {
    // 64 descriptors: the server runs out after a few dozen connections.
    // Without --allow-run=prlimit it cannot read its limit, so it does not
    // cap connections below it and really runs out (the capped case is
    // tests/adapters/server/descriptors_test.ts).
    const proc = track(
      new Proc("bash", [
        "-c",
        'ulimit -n 64 && exec "$@"',
        "bash",
        Deno.execPath(),
        "run",
        ...PERMISSIONS.serve.map((p) =>
          p.startsWith("--allow-run=") ? "--allow-run=ps" : p
        ),
        CLI,
        "serve",
        "-t",
        "tcp",
        "--port",
        "0",
      ]),
    );
    const m = await proc.expect(/listen transport=tcp url=(\S+)/, "stderr");
    const url = new URL(m[1]!);
    const flood: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        flood.push(
          await Deno.connect({
            hostname: url.hostname,
            port: Number(url.port),
          }),
        );
      }
      await proc.expect(
        /accept_error transport=tcp error=.*Too many open files/,
        "stderr",
      );
    } finally {
      for (const c of flood) c.close();
    }
    const amy = track(join(["--name", "amy", "--server", url.href]));
    await amy.expect("you are amy in lobby");
  });
});
