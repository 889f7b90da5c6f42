// Text mode over real sockets: a real `cli.ts serve` process, a real `nc`
// (netcat-openbsd: .ci/deps.sh installs it) over TCP, a Unix socket and UDP,
// chatting with a `cli.ts join` member; and raw sockets for what nc cannot
// type (bytes that are not UTF-8, very long lines).

import assert from "node:assert/strict";
import { Proc, type Track, withAll } from "../../_process.ts";

/** `cli.ts serve` over TCP, Unix and UDP; its URLs by transport. */
async function serveProc(
  track: Track,
  flags: string[] = [],
): Promise<{ proc: Proc; urls: Record<string, string>; socket: string }> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-text-" });
  track({ close: () => Deno.remove(dir, { recursive: true }) });
  const socket = `${dir}/chat.sock`;
  const proc = track(Proc.cli("serve", [
    "serve",
    "--transport",
    "tcp,unix,udp",
    "--port",
    "0",
    "--udp-port",
    "0",
    "--socket",
    socket,
    ...flags,
  ]));
  const urls: Record<string, string> = {};
  for (let i = 0; i < 3; i++) {
    const m = await proc.expect(/listen transport=(\w+) url=(\S+)/, "stderr");
    urls[m[1]!] = m[2]!;
  }
  return { proc, urls, socket };
}

function port(url: string): string {
  return new URL(url).port;
}

function nc(args: string[]): Proc {
  return new Proc("nc", args);
}

function join(name: string, server: string, lang = "en"): Proc {
  return Proc.cli("client", [
    "join",
    "--name",
    name,
    "--lang",
    lang,
    "--server",
    server,
  ]);
}

Deno.test("text: nc over TCP: name prompt, a refused duplicate, messages both ways in en and zh, /quit", async () => {
  await withAll(async (track) => {
    const { proc: server, urls } = await serveProc(track);
    const amy = track(join("amy", urls.tcp!));
    await amy.expect("you are amy in lobby");
    const bob = track(nc(["127.0.0.1", port(urls.tcp!)]));
    await bob.expect("name (名字): "); // asked, without typing anything
    await bob.write("amy\n");
    await bob.expect(
      'error NAME_TAKEN: Cannot join room "lobby": name "amy" is taken\ntry another name: ',
    );
    // A look-alike (Cyrillic а) is the same name.
    await bob.write("\u0430my\n");
    await bob.expect(
      'error NAME_TAKEN: Cannot join room "lobby": name "\u0430my" is taken\ntry another name: ',
    );
    await bob.write("bob\n");
    await bob.expect("you are bob in lobby; in lobby (2): amy, bob\n");
    await amy.expect("bob entered the room");

    await bob.write("hello from nc\n");
    await amy.expect("bob says: hello from nc");
    await amy.write("hi bob\n");
    await bob.expect("amy says: hi bob\n");
    // Bidi controls reach nobody raw, either way.
    await bob.write("\u202eevil\u2066\n");
    await amy.expect("bob says: \\u{202e}evil\\u{2066}");
    await amy.write("\u202ex\n");
    await bob.expect("amy says: \\u{202e}x\n");

    await bob.write("/lang zh\n");
    await bob.expect("语言: 中文\n");
    await amy.write("你好\n");
    await bob.expect("amy 说: 你好\n");
    await bob.write("中文消息\n");
    await amy.expect("bob says: 中文消息");
    await server.write("restart at 10\n");
    await bob.expect("*** 管理员 说: restart at 10\n");
    await bob.write("/who\n");
    await bob.expect("lobby 聊天室成员 (2): amy, bob\n");

    await bob.write("/quit\n");
    await bob.expect("bob 退出了聊天室\n");
    await amy.expect("bob left the room");
    // The server closed the connection: nc ends at the end of its input
    // (over TCP it would otherwise wait for more typing, half-closed).
    await bob.closeStdin();
    assert.equal((await bob.exit()).code, 0);
  });
});

Deno.test("text: nc -U over a Unix socket, CRLF lines (nc -C), zh from the start", async () => {
  await withAll(async (track) => {
    const { urls, socket } = await serveProc(track);
    const amy = track(join("amy", urls.unix!, "zh"));
    await amy.expect("你是 amy,在 lobby 聊天室");
    const zhang = track(nc(["-C", "-U", socket]));
    await zhang.expect("name (名字): ");
    await zhang.write("/lang zh\n");
    await zhang.expect("语言: 中文\n名字: ");
    await zhang.write("AMY\n");
    await zhang.expect(
      "错误 NAME_TAKEN: 该名字在本聊天室已被使用,请换一个\n换一个名字: ",
    );
    await zhang.write("张三\n");
    await zhang.expect(
      "你是 张三,在 lobby 聊天室; lobby 聊天室成员 (2): amy, 张三\n",
    );
    await amy.expect("张三 进入了聊天室");
    await zhang.write("大家好\n");
    await amy.expect("张三 说: 大家好");
    assert.ok(!amy.stdout.includes("\r"));
    await amy.write("欢迎\n");
    await zhang.expect("amy 说: 欢迎\n");
    await zhang.write("/quit\n");
    await zhang.expect("张三 退出了聊天室\n");
    assert.equal((await zhang.exit()).code, 0);
    await amy.expect("张三 退出了聊天室");
  });
});

Deno.test("text: nc -u over UDP: the first datagram is the name, then lines both ways", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track);
    const amy = track(join("amy", urls.tcp!));
    await amy.expect("you are amy in lobby");
    const carol = track(nc(["-u", "127.0.0.1", port(urls.udp!)]));
    await carol.write("amy\n");
    await carol.expect("error NAME_TAKEN: ");
    await carol.expect("try another name: ");
    await carol.write("carol\n");
    await carol.expect("you are carol in lobby; in lobby (2): amy, carol\n");
    await amy.expect("carol entered the room");
    await carol.write("over udp\n");
    await amy.expect("carol says: over udp");
    await amy.write("got it\n");
    await carol.expect("amy says: got it\n");
    await carol.write("/quit\n");
    await carol.expect("carol left the room\n");
    await amy.expect("carol left the room");
  });
});

Deno.test("text: raw TCP: bytes that are not UTF-8 and over-long lines are refused, not cut", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["--max-message", "100"]);
    const amy = track(join("amy", urls.tcp!));
    await amy.expect("you are amy in lobby");
    const u = new URL(urls.tcp!);
    const conn = await Deno.connect({
      hostname: u.hostname,
      port: Number(u.port),
    });
    track({ close: () => Promise.resolve(conn.close()) });
    const reader = lines(conn);
    const write = async (bytes: Uint8Array | string) => {
      const b = typeof bytes === "string"
        ? new TextEncoder().encode(bytes)
        : bytes;
      for (let at = 0; at < b.length;) at += await conn.write(b.subarray(at));
    };
    await write("mal\n"); // text from the first byte: no prompt needed
    assert.match(await reader.next(), /^you are mal in lobby/);
    await amy.expect("mal entered the room");
    await write(new Uint8Array([0x68, 0xc3, 0x28, 0x0a]));
    assert.equal(
      await reader.next(),
      "error INVALID_UTF8: Cannot accept line: not valid UTF-8",
    );
    await write("x".repeat(100) + "\r\n"); // exactly the limit: fine
    await write("y".repeat(101) + "\n");
    assert.equal(
      await reader.next(),
      "error LINE_TOO_LONG: Cannot accept line: it is longer than 100 bytes",
    );
    await write("z".repeat(5000) + "\nafter\n"); // discarded up to its end
    assert.equal(
      await reader.next(),
      "error LINE_TOO_LONG: Cannot accept line: it is longer than 100 bytes",
    );
    await amy.expect(`mal says: ${"x".repeat(100)}`);
    await amy.expect("mal says: after");
    assert.ok(!amy.stdout.includes("yyy") && !amy.stdout.includes("zzz"));
  });
});

/** Lines read from a connection, one at a time. */
function lines(conn: Deno.Conn): { next(): Promise<string> } {
  let buffer = "";
  const decoder = new TextDecoder();
  const buf = new Uint8Array(4096);
  return {
    async next() {
      const deadline = Date.now() + 5000;
      while (!buffer.includes("\n")) {
        if (Date.now() > deadline) {
          throw new Error(`no line, got ${JSON.stringify(buffer)}`);
        }
        const n = await conn.read(buf);
        if (n === null) {
          throw new Error(`connection closed, got ${JSON.stringify(buffer)}`);
        }
        buffer += decoder.decode(buf.subarray(0, n), { stream: true });
      }
      const at = buffer.indexOf("\n");
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      return line;
    },
  };
}
