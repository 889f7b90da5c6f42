// End-to-end tests of `cli.ts serve` and `cli.ts join` as real processes
// over real TCP and Unix sockets: the whole chat scenario in en and zh, the
// console, JSON output, exit codes, shutdown and socket-file handling.

import assert from "node:assert/strict";
import { CLI, PERMISSIONS, Proc, startServe } from "./_process.ts";

type Lang = "en" | "zh";

const WORDS = {
  en: {
    welcome: (n: string, r: string) => `you are ${n} in ${r}`,
    entered: (n: string) => `${n} entered the room`,
    says: (n: string, t: string) => `${n} says: ${t}`,
    left: (n: string) => `${n} left the room\n`,
    shutdown: (n: string) => `${n} left the room (server shutting down)`,
    admin: (t: string) => `*** admin says: ${t}`,
    taken: "error NAME_TAKEN: ",
    members: (r: string, n: number) => `in ${r} (${n}): `,
    locale: "en_US.UTF-8",
  },
  zh: {
    welcome: (n: string, r: string) => `你是 ${n},在 ${r} 聊天室`,
    entered: (n: string) => `${n} 进入了聊天室`,
    says: (n: string, t: string) => `${n} 说: ${t}`,
    left: (n: string) => `${n} 退出了聊天室\n`,
    shutdown: (n: string) => `${n} 退出了聊天室 (服务器关闭)`,
    admin: (t: string) => `*** 管理员 说: ${t}`,
    taken: "错误 NAME_TAKEN: 该名字在本聊天室已被使用",
    members: (r: string, n: number) => `${r} 聊天室成员 (${n}): `,
    locale: "zh_CN.UTF-8",
  },
} as const;

/** Run `fn` with a temp dir and a process list; stop every process after. */
async function withProcs(
  fn: (dir: string, track: (p: Proc) => Proc) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-cli-" });
  const procs: Proc[] = [];
  try {
    await fn(dir, (p) => (procs.push(p), p));
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await Deno.remove(dir, { recursive: true });
  }
}

function join(args: string[], env: Record<string, string> = {}): Proc {
  return Proc.cli("client", ["join", ...args], { env });
}

async function gone(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return false;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
}

for (
  const [transport, lang] of [
    ["tcp", "en"],
    ["unix", "zh"],
    ["unix", "en"],
    ["tcp", "zh"],
  ] as const
) {
  Deno.test(`cli: the whole scenario over ${transport} in ${lang}`, async () => {
    await withProcs(async (dir, track) => {
      const w = WORDS[lang as Lang];
      const socket = `${dir}/chat.sock`;
      const server = await startServe([
        "--port",
        "0",
        "--http-port",
        "0",
        "--socket",
        socket,
      ]);
      track(server.proc);
      const url = transport === "tcp" ? server.tcp! : server.unix!;
      // Alice's language comes from LANG; the others pass --lang.
      const alice = track(
        join(["--name", "alice", "--server", url], { LANG: w.locale }),
      );
      await alice.expect(w.welcome("alice", "lobby"));
      const carol = track(
        join(["-n", "carol", "-r", "kitchen", "-s", url, "--lang", lang]),
      );
      await carol.expect(w.welcome("carol", "kitchen"));
      const bob = track(
        join(["--name", "bob", "--server", url, "--lang", lang]),
      );
      await bob.expect(w.welcome("bob", "lobby"));
      await alice.expect(w.entered("bob"));

      await bob.write("hi\n");
      await alice.expect(w.says("bob", "hi"));

      // A duplicate name (case-insensitive) is refused: exit 3 when piped.
      const dup = track(join(["--name", "BOB", "-s", url, "--lang", lang]));
      assert.equal((await dup.exit()).code, 3, dup.stdout + dup.stderr);
      assert.ok(dup.stdout.includes(w.taken), dup.stdout);

      // The console: each stdin line is announced to every room.
      await server.proc.write("server restarts at 10\n");
      for (const p of [alice, bob, carol]) {
        await p.expect(w.admin("server restarts at 10"));
      }
      // End of the console's input does not stop the server.
      await server.proc.closeStdin();
      await server.proc.expect("still serving", "stderr");

      // /join moves bob; /who lists kitchen; /quit leaves with exit 0.
      await bob.write("/join kitchen\n");
      await bob.expect(w.welcome("bob", "kitchen"));
      await alice.expect(w.left("bob"));
      await carol.expect(w.entered("bob"));
      await bob.write("/who\n");
      await bob.expect(w.members("kitchen", 2));
      await bob.write("/quit\n");
      assert.equal((await bob.exit()).code, 0, bob.stderr);
      await carol.expect(w.left("bob"));
      assert.ok(!bob.stdout.includes(w.says("bob", "hi")), "no echo");

      // SIGTERM: every member is told, joins exit 5, the server exits 0 and
      // removes its socket file.
      server.proc.kill("SIGTERM");
      await alice.expect(w.shutdown("alice"));
      await carol.expect(w.shutdown("carol"));
      assert.equal((await alice.exit()).code, 5);
      assert.equal((await carol.exit()).code, 5);
      const status = await server.proc.exit();
      assert.equal(status.code, 0, server.proc.stderr);
      assert.match(server.proc.stderr, / stopped\n/);
      assert.ok(await gone(socket), "socket file removed");
    });
  });
}

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
    assert.deepEqual(events, [
      {
        type: "welcome",
        room: "lobby",
        name: "amy",
        total: 1,
        members: ["amy"],
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

Deno.test("cli: exit 2 on usage errors", async () => {
  await withProcs(async (_dir, track) => {
    for (
      const args of [
        ["join", "--bogus"],
        ["serve", "--bogus"],
        ["serve", "--port", "x"],
        ["serve", "--transport", "carrier-pigeon"],
        ["serve", "--udp-intake", "0"],
        ["serve", "--udp-send-queue", "1000"],
        ["join", "--lang", "fr", "--name", "bob"],
        ["join", "--server", "ftp://x", "--name", "bob"],
        ["join"], // no --name, and stdin is not a terminal
        ["frobnicate"],
      ]
    ) {
      const p = track(Proc.cli("serve", args, {}));
      await p.closeStdin();
      const { code } = await p.exit();
      assert.equal(code, 2, `${args.join(" ")}: ${p.stderr}`);
      assert.match(p.stderr, /error/, args.join(" "));
      assert.doesNotMatch(p.stderr, /\n\s+at /, "no stack trace");
    }
  });
});

Deno.test("cli: --help exits 0 on every subcommand", async () => {
  await withProcs(async (_dir, track) => {
    const help = async (args: string[]) => {
      const p = track(Proc.cli("serve", args, { stdin: false }));
      const { code } = await p.exit();
      assert.equal(code, 0, `${args.join(" ")}: ${p.stderr}`);
      assert.match(p.stdout, /^Usage: roomcast/, args.join(" "));
      return p.stdout;
    };
    const top = await help(["--help"]);
    // Every subcommand the top-level help lists, so new ones are covered.
    const commands = [
      ...top.slice(top.indexOf("Commands:")).matchAll(/^ {2}([a-z][\w-]*)/gm),
    ].map((m) => m[1]!).filter((c) => c !== "help");
    for (const c of ["serve", "join"]) assert.ok(commands.includes(c), top);
    await Promise.all([
      help(["help"]),
      help(["help", "join"]),
      ...commands.map((c) => help([c, "--help"])),
    ]);
  });
});

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
    const proc = track(
      new Proc("bash", [
        "-c",
        'ulimit -n 64 && exec "$@"',
        "bash",
        Deno.execPath(),
        "run",
        ...PERMISSIONS.serve,
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
    assert.match(amy.stdout, /disconnected by the server\n$/);
    assert.match(bob.stdout, /与服务器的连接已断开\n$/);
  });
});
