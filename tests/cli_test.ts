// End-to-end tests of the whole command line as real processes over real
// TCP and Unix sockets: the chat scenario in en and zh (serve, join and the
// console together), usage errors and --help on every command.

import assert from "node:assert/strict";
import { Proc, startServe } from "./_process.ts";
import { gone, join, withProcs } from "./adapters/cli/_cli.ts";
import { TEXT_LINES } from "../core/text/lines.ts";

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
      // Refusals go to stderr, like every other error.
      assert.ok(dup.stderr.includes(w.taken), dup.stderr);
      assert.ok(!dup.stdout.includes(w.taken), dup.stdout);

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
      // A room name is one word; /lang says the language in use, and
      // confirms a change.
      await bob.write("/join two words\n");
      await bob.expect(`${TEXT_LINES[lang].oneWord}: two words\n`);
      await bob.write("/lang\n");
      await bob.expect(`${TEXT_LINES[lang].lang} (/lang en|zh)\n`);
      await bob.write(`/lang ${lang}\n`);
      await bob.expect(`${TEXT_LINES[lang].lang}\n`);
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
