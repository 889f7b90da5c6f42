// UDP over real sockets: a real `cli.ts serve` process, real `cli.ts join`
// processes over UDP, TCP and Unix sockets in one room, raw datagrams that
// forge, garble and flood, and a lossy relay in between.

import assert from "node:assert/strict";
import { decodeFrames, encodeFrame } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { listenUdp } from "../../../adapters/udp/listen.ts";
import { Chat } from "../../../core/chat.ts";
import { Proc, type Track, withAll } from "../../_process.ts";
import { carries, concat, RawUdp, UdpRelay } from "../_udp.ts";

/**
 * `cli.ts serve` with these flags; waits for one listen line per transport.
 * The process and its temp dir are tracked for the end of the test.
 */
async function serveProc(
  track: Track,
  transports: string[],
  flags: string[] = [],
): Promise<{ proc: Proc; urls: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-udp-" });
  track({ close: () => Deno.remove(dir, { recursive: true }) });
  const proc = track(Proc.cli("serve", [
    "serve",
    "--transport",
    transports.join(","),
    "--port",
    "0",
    "--udp-port",
    "0",
    "--socket",
    `${dir}/chat.sock`,
    ...flags,
  ]));
  const urls: Record<string, string> = {};
  for (let i = 0; i < transports.length; i++) {
    const m = await proc.expect(/listen transport=(\w+) url=(\S+)/, "stderr");
    urls[m[1]!] = m[2]!;
  }
  return { proc, urls };
}

function join(args: string[], lang = "en"): Proc {
  return Proc.cli("client", ["join", "--lang", lang, ...args]);
}

function events(bytes: Uint8Array): ChatEvent[] {
  return decodeFrames(bytes).filter((f) =>
    !(f instanceof Error)
  ) as ChatEvent[];
}

/** The first ERROR in a datagram. */
function errorIn(bytes: Uint8Array): ChatEvent & { type: "error" } {
  const e = events(bytes).find((f) => f.type === "error");
  assert.ok(
    e && e.type === "error",
    `no error in ${JSON.stringify(events(bytes))}`,
  );
  return e;
}

/** A raw UDP member of `lobby`: its socket and token. */
async function rawMember(
  url: string,
  name: string,
): Promise<
  { raw: RawUdp; token: string; say: (text: string, seq: number) => void }
> {
  const raw = await RawUdp.open(url);
  const { token } = await raw.handshake();
  raw.send(concat(
    encodeFrame({ type: "envelope", token, seq: 1 }),
    encodeFrame({ type: "join", room: "lobby", name }),
  ));
  for (;;) {
    const got = events(await raw.next());
    if (got.some((e) => e.type === "welcome")) break;
  }
  return {
    raw,
    token,
    say: (text, seq) =>
      raw.send(concat(
        encodeFrame({ type: "envelope", token, seq }),
        encodeFrame({ type: "say", text }),
      )),
  };
}

Deno.test("udp: UDP, TCP and Unix members share a room: joins, messages, announcements, leaves", async () => {
  await withAll(async (track) => {
    const { proc: server, urls } = await serveProc(track, [
      "tcp",
      "unix",
      "udp",
    ]);
    const alice = track(join(["--name", "alice", "--server", urls.udp!]));
    await alice.expect("you are alice in lobby");
    const bob = track(join(["--name", "bob", "--server", urls.tcp!], "zh"));
    await bob.expect("你是 bob,在 lobby 聊天室");
    await alice.expect("bob entered the room");
    const carol = track(join(["--name", "carol", "--server", urls.unix!]));
    await carol.expect("you are carol in lobby");
    await alice.expect("carol entered the room");
    await bob.expect("carol 进入了聊天室");

    await alice.write("hi from udp\n");
    await bob.expect("alice 说: hi from udp");
    await carol.expect("alice says: hi from udp");
    await bob.write("你好 from tcp\n");
    await alice.expect("bob says: 你好 from tcp");
    await carol.write("hello from unix\n");
    await alice.expect("carol says: hello from unix");

    await server.write("restart at 10\n");
    await alice.expect("*** admin says: restart at 10");
    await bob.expect("*** 管理员 说: restart at 10");

    await carol.write("/quit\n");
    assert.equal((await carol.exit()).code, 0);
    await alice.expect("carol left the room");
    await alice.write("/who\n");
    await alice.expect("in lobby (2): alice, bob");
    await alice.write("/quit\n");
    await alice.expect("alice left the room");
    assert.equal((await alice.exit()).code, 0);
    await bob.expect("alice 退出了聊天室");

    // A UDP member is told of the shutdown like any other.
    const dave = track(join(["--name", "dave", "--server", urls.udp!]));
    await dave.expect("you are dave in lobby");
    server.kill("SIGTERM");
    await dave.expect("dave left the room (server shutting down)");
    assert.equal((await dave.exit()).code, 5);
    assert.equal((await bob.exit()).code, 5);
    assert.equal((await server.exit()).code, 0);
  });
});

Deno.test("udp: a silent member times out; a quiet client's heartbeats keep it in", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["tcp", "udp"], [
      "--udp-timeout",
      "3",
    ]);
    const bob = track(join(["--name", "bob", "--server", urls.tcp!]));
    await bob.expect("you are bob in lobby");
    const quiet = track(join(["--name", "quiet", "--server", urls.udp!]));
    await quiet.expect("you are quiet in lobby");
    await bob.expect("quiet entered the room");
    const { raw } = await rawMember(urls.udp!, "mute");
    track(raw);
    await bob.expect("mute entered the room");
    // mute sends nothing more; quiet's client pings every second.
    await bob.expect("mute left the room (timed out)");
    await new Promise((r) => setTimeout(r, 3000));
    await bob.write("/who\n");
    await bob.expect("in lobby (2): bob, quiet");
    assert.ok(!bob.stdout.includes("quiet left"));
  });
});

Deno.test("udp: a message whose first datagram is lost is delivered exactly once", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["tcp", "udp"]);
    const bob = track(join(["--name", "bob", "--server", urls.tcp!]));
    await bob.expect("you are bob in lobby");
    let lost = false;
    const relay = track(
      await UdpRelay.open(urls.udp!, (bytes, toServer) => {
        if (!toServer || lost || !carries(bytes, "say")) return true;
        lost = true;
        return false;
      }),
    );
    const dave = track(join(["--name", "dave", "--server", relay.url]));
    await dave.expect("you are dave in lobby");
    await dave.write("exactly once\n");
    await bob.expect("dave says: exactly once");
    await dave.write("after\n");
    await bob.expect("dave says: after");
    assert.equal(relay.dropped, 1);
    assert.equal(bob.stdout.split("dave says: exactly once").length - 1, 1);
  });
});

Deno.test("udp: the client reports server datagrams lost on the way", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["tcp", "udp"]);
    const relay = track(
      await UdpRelay.open(urls.udp!, (bytes, toServer) =>
        toServer ||
        !events(bytes).some((e) =>
          e.type === "message" && e.text.startsWith("drop")
        )),
    );
    const dave = track(join(["--name", "dave", "--server", relay.url]));
    await dave.expect("you are dave in lobby");
    const json = track(
      join(["--name", "jay", "--json", "--server", relay.url]),
    );
    await json.expect('"type":"welcome"');
    const bob = track(join(["--name", "bob", "--server", urls.tcp!]));
    await bob.expect("you are bob in lobby");
    for (const line of ["drop 1", "drop 2", "keep"]) {
      await bob.write(`${line}\n`);
      await new Promise((r) => setTimeout(r, 150)); // one datagram each
    }
    await dave.expect("(2 messages lost)");
    await dave.expect("bob says: keep");
    await json.expect('{"type":"lost","count":2}');
    await json.expect('"text":"keep"');
    assert.ok(!dave.stdout.includes("drop"));
  });
});

Deno.test("udp: a spoofed datagram with a wrong token is refused and reaches nobody", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["tcp", "udp"]);
    const bob = track(join(["--name", "bob", "--server", urls.tcp!]));
    await bob.expect("you are bob in lobby");
    const victim = await rawMember(urls.udp!, "victim");
    track(victim.raw);
    await bob.expect("victim entered the room");
    const forger = track(await RawUdp.open(urls.udp!));
    const t = victim.token;
    for (
      const token of [
        t.slice(0, 31) + (t[31] === "0" ? "1" : "0"),
        "0".repeat(32),
      ]
    ) {
      const bytes = concat(
        encodeFrame({ type: "envelope", token, seq: 2 }),
        encodeFrame({ type: "say", text: "spoofed" }),
        encodeFrame({ type: "leave" }),
      );
      forger.send(bytes);
      const reply = await forger.next();
      assert.ok(reply.length <= bytes.length);
      const e = errorIn(reply);
      assert.equal(e.code, "BAD_TOKEN");
      assert.equal(e.fatal, true);
    }
    victim.say("the real one", 2);
    await bob.expect("victim says: the real one");
    assert.ok(!bob.stdout.includes("spoofed"));
    assert.ok(!bob.stdout.includes("victim left"));
  });
});

Deno.test("udp: garbage, oversized, tokenless and unpadded datagrams are refused; floods are dropped", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["tcp", "udp"], [
      "--udp-rate",
      "50",
    ]);
    const bob = track(join(["--name", "bob", "--server", urls.tcp!]));
    await bob.expect("you are bob in lobby");
    const amy = track(join(["--name", "amy", "--server", urls.udp!]));
    await amy.expect("you are amy in lobby");
    const mal = track(await RawUdp.open(urls.udp!));
    const cases: [Uint8Array, string][] = [
      [
        concat(new Uint8Array([0xab, 0x03, 0, 0, 0, 50]), new Uint8Array(30)),
        "FRAME_MALFORMED",
      ],
      [
        concat(new Uint8Array([0xab, 0x03, 0, 1, 0, 0]), new Uint8Array(40)),
        "FRAME_TOO_LARGE",
      ],
      [
        concat(new Uint8Array([0xab]), new Uint8Array(1499)),
        "DATAGRAM_TOO_LARGE",
      ],
      [encodeFrame({ type: "say", text: "no token, no say" }), "BAD_TOKEN"],
      [
        encodeFrame({
          type: "hello",
          version: 1,
          software: "too short a datagram",
        }),
        "DATAGRAM_TOO_SMALL",
      ],
    ];
    for (const [bytes, code] of cases) {
      mal.send(bytes);
      const reply = await mal.next();
      assert.ok(
        reply.length <= bytes.length,
        `${code}: ${reply.length} > ${bytes.length}`,
      );
      assert.equal(errorIn(reply).code, code);
    }
    // Too small to answer without answering with more: silence.
    mal.send(new Uint8Array([0xab, 0x01]));
    await mal.silent(300);
    // A flood from one address: the rate limit drops most of it.
    const flood = concat(
      new Uint8Array([0xab, 0x03, 0, 0, 0, 50]),
      new Uint8Array(30),
    );
    for (let i = 0; i < 500; i++) mal.send(flood);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(mal.received.length < 5 + 150, `${mal.received.length} answers`);
    // Nobody else noticed anything.
    await amy.write("still fine\n");
    await bob.expect("amy says: still fine");
    assert.ok(!amy.stdout.includes("error"));
    assert.ok(!bob.stdout.includes("error"));
  });
});

Deno.test("udp: join exit codes: name refused (3), nobody listening (4)", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["udp"]);
    const amy = track(join(["--name", "amy", "--server", urls.udp!]));
    await amy.expect("you are amy in lobby");
    const again = track(join(["--name", "AMY", "--server", urls.udp!]));
    await again.expect("error NAME_TAKEN: ", "stderr");
    assert.equal((await again.exit()).code, 3);
    // A port with nobody behind it: the HELLOs go unanswered.
    const none = track(join(["--name", "x", "--server", "udp://127.0.0.1:9"]));
    await none.expect(
      /error: Cannot connect to udp:\/\/127\.0\.0\.1:9: .*no answer/,
      "stderr",
    );
    assert.equal((await none.exit()).code, 4);
  });
});

Deno.test("udp: text mode is on by default on loopback; --udp-text-timeout sets it or turns it off", async () => {
  const chat = new Chat({ now: () => performance.now() });
  try {
    for (
      const [hostname, limits, expected] of [
        ["127.0.0.1", {}, 600_000],
        ["::1", {}, 600_000],
        ["127.0.0.1", { textIdleTimeoutMs: 0 }, 0],
        ["127.0.0.1", { textIdleTimeoutMs: 5000 }, 5000],
      ] as const
    ) {
      const udp = await listenUdp(chat, { hostname, port: 0, limits });
      try {
        assert.equal(udp.server.limits.textIdleTimeoutMs, expected, hostname);
      } finally {
        await udp.close();
      }
    }
  } finally {
    await chat.shutdown();
  }
  // Off answers a text datagram with one short line, and makes no session.
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["udp"], [
      "--udp-text-timeout",
      "0",
    ]);
    const raw = track(await RawUdp.open(urls.udp!));
    raw.send(new TextEncoder().encode("mallory, with a long enough line\n"));
    const reply = await raw.next();
    assert.equal(new TextDecoder().decode(reply), "text mode is off on UDP\n");
  });
});

Deno.test("udp: events from several client datagrams share one datagram per member when the server is busy", async () => {
  await withAll(async (track) => {
    const { urls } = await serveProc(track, ["udp"], [
      "--rate",
      "0",
      "--udp-rate",
      "0",
    ]);
    const amy = await rawMember(urls.udp!, "amy");
    track({ close: () => amy.raw.close() });
    const bob = await rawMember(urls.udp!, "bob");
    track({ close: () => bob.raw.close() });
    const before = amy.raw.received.length;
    // 30 datagrams of one SAY each, back to back (within the 32 a client
    // may have unacknowledged).
    for (let i = 0; i < 30; i++) bob.say(`m${i}`, 2 + i);
    const texts: string[] = [];
    let datagrams = 0;
    while (texts.length < 30) {
      const got = events(await amy.raw.next()).filter((e) =>
        e.type === "message"
      );
      if (got.length > 0) datagrams++;
      for (const e of got) if (e.type === "message") texts.push(e.text);
    }
    assert.deepEqual(texts, Array.from({ length: 30 }, (_, i) => `m${i}`));
    // Flushed when the socket's queue drains, not after each datagram in:
    // messages that came while datagrams were going out travel together.
    assert.ok(
      datagrams < 30,
      `30 messages in ${datagrams} datagrams (${before} before)`,
    );
  });
});
