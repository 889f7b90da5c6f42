// No lost answer can hang a UDP client (docs/protocol.md 12.6, "Answers that
// must not be lost"): through the conformance kit's lossy relay, roomcast's
// own client (`cli.ts join` as a process) and the minimal Python client of
// docs/protocol.md 12.10 (run from the document itself) each join, chat and
// leave with exit code 0 when the relay drops the first WELCOME, the ACK and
// LEFT after LEAVE, or 30% of all datagrams both ways (seeded). A member on
// TCP watches: it sees the join, every line, and the leave.

import assert from "node:assert/strict";
import {
  decoded,
  lossy,
  type RelayPolicy,
  UdpRelay,
} from "../../../adapters/conformance/mod.ts";
import { serve } from "../../../adapters/server/serve.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { Proc, type Track, withAll } from "../../_process.ts";
import { connectStream, type TestClient } from "../_client.ts";

const DOC = new URL("../../../docs/protocol.md", import.meta.url);
/** Waits on a process that talks through a lossy link, in ms. */
const LOSSY_WAIT_MS = 20_000;
/** The seed of the random losses: the same run loses the same datagrams. */
const SEED = 14;

/** The minimal UDP client of docs/protocol.md 12.10, aimed at `url`. */
async function pythonClient(track: Track, url: string): Promise<string> {
  const doc = await Deno.readTextFile(DOC);
  const section = doc.slice(
    doc.indexOf("### 12.10 A minimal Python UDP client"),
  );
  const code = section.slice(
    section.indexOf("```python\n") + "```python\n".length,
    section.indexOf("\n```\n"),
  );
  const target = 'HOST, PORT, ROOM = "127.0.0.1", 7878, "lobby"';
  assert.ok(code.includes(target), "12.10 no longer sets HOST, PORT, ROOM");
  const port = new URL(url).port;
  const dir = await Deno.makeTempDir({ prefix: "roomcast-py-" });
  track({ close: () => Deno.remove(dir, { recursive: true }) });
  const path = `${dir}/client.py`;
  await Deno.writeTextFile(
    path,
    code.replace(target, `HOST, PORT, ROOM = "127.0.0.1", ${port}, "lobby"`),
  );
  return path;
}

type Client = "cli" | "python";

async function start(
  track: Track,
  client: Client,
  url: string,
  name: string,
): Promise<Proc> {
  if (client === "cli") {
    return track(
      Proc.cli("client", [
        "join",
        "--lang",
        "en",
        "--name",
        name,
        "--server",
        url,
      ]),
    );
  }
  return track(
    new Proc("python3", ["-u", await pythonClient(track, url), name]),
  );
}

/** The next event at the TCP member that is not a lost-count or PONG. */
async function next(watcher: TestClient): Promise<ChatEvent> {
  return await watcher.next(LOSSY_WAIT_MS);
}

/**
 * `client` joins `lobby` through a relay with `policy`, says two lines and
 * leaves at the end of its input; `watcher` (on TCP) sees all of it, and the
 * client exits 0.
 */
async function joinChatLeave(
  client: Client,
  policy: () => RelayPolicy,
): Promise<UdpRelay> {
  let relay: UdpRelay | undefined;
  await withAll(async (track) => {
    const server = await serve({ transports: ["tcp", "udp"], port: 0 });
    track({ close: () => server.shutdown() });
    const [tcp, udp] = server.listeners.map((l) => l.url);
    const watcher = track(await connectStream(tcp!));
    watcher.send({ type: "hello", version: 1, software: "watcher" });
    watcher.send({ type: "join", room: "lobby", name: "watcher" });
    assert.equal((await watcher.next()).type, "hello_ok");
    assert.equal((await watcher.next()).type, "welcome");
    relay = track(await UdpRelay.open(udp!, policy()));
    const proc = await start(track, client, relay.url, "bob");
    await proc.expect("you are bob in lobby", "stdout", LOSSY_WAIT_MS);
    assert.deepEqual(await next(watcher), {
      type: "joined",
      room: "lobby",
      name: "bob",
    });
    for (const text of ["first line", "second line"]) {
      await proc.write(`${text}\n`);
      assert.deepEqual(await next(watcher), {
        type: "message",
        room: "lobby",
        from: "bob",
        text,
      });
    }
    await proc.closeStdin();
    assert.deepEqual(await next(watcher), {
      type: "left",
      room: "lobby",
      name: "bob",
      reason: "quit",
    });
    const status = await proc.exit(LOSSY_WAIT_MS);
    assert.equal(
      status.code,
      0,
      `exit ${status.code}\n${proc.stdout}\n${proc.stderr}`,
    );
  });
  return relay!;
}

/** Drop the first datagram from the server that carries a frame of `type`. */
function dropFirst(type: string): () => RelayPolicy {
  return () => {
    let dropped = false;
    return (bytes, toServer) => {
      if (toServer || dropped) return true;
      if (!decoded(bytes).some((f) => f.type === type)) return true;
      dropped = true;
      return false;
    };
  };
}

for (const client of ["cli", "python"] as const) {
  Deno.test(`udp loss (${client}): the first WELCOME is lost; the JOIN sent again is welcomed`, async () => {
    const relay = await joinChatLeave(client, dropFirst("welcome"));
    assert.equal(relay.dropped, 1);
  });

  Deno.test(`udp loss (${client}): the ACK and LEFT after LEAVE are lost; the leave is still clean`, async () => {
    const relay = await joinChatLeave(client, dropFirst("left"));
    assert.equal(relay.dropped, 1);
  });

  Deno.test(`udp loss (${client}): 30% of datagrams lost both ways`, async () => {
    const relay = await joinChatLeave(client, () => lossy(0.3, SEED));
    assert.ok(relay.dropped > 0);
  });
}
