// The client that comes back by itself (adapters/client/resuming.ts): with a
// server older than version 2 it speaks version 1, the JOIN it had
// pipelined sent again. (Coming back after a drop, through `cli.ts join`:
// tests/adapters/cli/history_test.ts.)

import assert from "node:assert/strict";
import { dialResuming } from "../../../adapters/client/mod.ts";
import {
  type Command,
  decodeFrames,
  encodeFrame,
} from "../../../core/codec/mod.ts";
import type { ReceivedEvent } from "../../../core/events.ts";
import { concat } from "../../_bytes.ts";

/** Read frames from a connection until `count` came. */
async function read(conn: Deno.Conn, count: number): Promise<Command[]> {
  const got: Command[] = [];
  const buf = new Uint8Array(4096);
  while (got.length < count) {
    const n = await conn.read(buf);
    if (n === null) break;
    // Whole frames only: the commands here are small, whole in each read.
    for (const f of decodeFrames(buf.subarray(0, n))) {
      if (!(f instanceof Error)) got.push(f as Command);
    }
  }
  return got;
}

Deno.test("resuming client: a server without version 2 is spoken to in version 1, the JOIN sent again", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const seen: Command[][] = [];
  const server = (async () => {
    // An old server: version 2 is fatal.
    const first = await listener.accept();
    seen.push(await read(first, 2));
    await first.write(encodeFrame({
      type: "error",
      code: "UNSUPPORTED_VERSION",
      message: "Cannot speak protocol version 2: this server speaks 1",
      fatal: true,
    }));
    first.close();
    const second = await listener.accept();
    seen.push(await read(second, 2));
    await second.write(concat(
      encodeFrame({
        type: "hello_ok",
        version: 1,
        software: "old/1",
        maxFrame: 65536,
        maxMessage: 4096,
      }),
      encodeFrame({
        type: "welcome",
        room: "lobby",
        name: "bob",
        members: ["bob"],
        total: 1,
      }),
    ));
    await read(second, 1); // until the client goes
    second.close();
    listener.close();
  })();
  const conn = await dialResuming(new URL(`tcp://127.0.0.1:${port}`), {
    software: "test/1",
  });
  const events: ReceivedEvent[] = [];
  const welcomed = new Promise<void>((resolve) => {
    conn.onEvent = (e) => {
      events.push(e);
      if (e.type === "welcome") resolve();
    };
  });
  conn.send({ type: "join", room: "lobby", name: "bob" });
  await welcomed;
  conn.close();
  await conn.closed;
  await server;
  assert.deepEqual(seen, [
    [
      { type: "hello", version: 2, software: "test/1" },
      { type: "join", room: "lobby", name: "bob" },
    ],
    [
      { type: "hello", version: 1, software: "test/1" },
      { type: "join", room: "lobby", name: "bob" },
    ],
  ]);
  assert.deepEqual(events.map((e) => e.type), ["hello_ok", "welcome"]);
});
