// The stream client's own behaviour, against a scripted server socket.

import assert from "node:assert/strict";
import { dial } from "../../../adapters/client/dial.ts";
import { encodeFrame } from "../../../core/codec/mod.ts";
import type { ReceivedEvent } from "../../../core/events.ts";

Deno.test("client: a name prompt written before the first frame (a slow HELLO) is skipped", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    using conn = await listener.accept();
    const prompt = new TextEncoder().encode("name (名字): ");
    const hello = encodeFrame({
      type: "hello_ok",
      version: 1,
      software: "roomcast/test",
      maxFrame: 65536,
      maxMessage: 4096,
    });
    const welcome = encodeFrame({
      type: "welcome",
      room: "lobby",
      name: "bob",
      members: ["bob"],
      total: 1,
    });
    await conn.write(prompt);
    await conn.write(new Uint8Array([...hello, ...welcome]));
  })();
  const client = await dial(
    new URL(`tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`),
  );
  const events: ReceivedEvent[] = [];
  client.onEvent = (e) => events.push(e);
  await server;
  await client.closed;
  assert.deepEqual(events.map((e) => e.type), ["hello_ok", "welcome"]);
});
