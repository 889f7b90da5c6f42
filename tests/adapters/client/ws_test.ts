// The WebSocket client (adapters/client/ws.ts, `join --server ws://`) against
// tiny servers that pick each subprotocol: it offers the fastest first and
// speaks whichever the server answers, an older server's roomcast.v1
// included.

import assert from "node:assert/strict";
import { dialWebSocket } from "../../../adapters/client/ws.ts";
import {
  decodeFrames,
  encodeFrame,
  type Frame,
} from "../../../core/codec/mod.ts";
import type { ReceivedEvent } from "../../../core/events.ts";
import { concat } from "../../_bytes.ts";

const WELCOME = {
  type: "welcome",
  room: "lobby",
  name: "cat",
  members: ["cat"],
  total: 1,
} as const;
const HI = { type: "message", room: "lobby", from: "amy", text: "hi" } as const;

/** A server that answers `protocol` and hands over what the client sent. */
async function withFakeServer(
  protocol: string,
  fn: (
    url: URL,
    socket: Promise<
      { ws: WebSocket; offered: string; first: Promise<unknown> }
    >,
  ) => Promise<void>,
): Promise<void> {
  let accepted!: (s: {
    ws: WebSocket;
    offered: string;
    first: Promise<unknown>;
  }) => void;
  const socket = new Promise<{
    ws: WebSocket;
    offered: string;
    first: Promise<unknown>;
  }>((r) => accepted = r);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      // (Read before the upgrade, which takes the request.)
      const offered = req.headers.get("sec-websocket-protocol") ?? "";
      const { socket: ws, response } = Deno.upgradeWebSocket(req, {
        protocol,
      });
      ws.binaryType = "arraybuffer";
      const first = new Promise((r) => ws.onmessage = (e) => r(e.data));
      accepted({ ws, offered, first });
      return response;
    },
  );
  try {
    await fn(new URL(`ws://127.0.0.1:${server.addr.port}`), socket);
  } finally {
    await server.shutdown();
  }
}

async function events(
  conn: { onEvent: (e: ReceivedEvent) => void },
  n: number,
): Promise<ReceivedEvent[]> {
  const got: ReceivedEvent[] = [];
  await new Promise<void>((resolve) => {
    conn.onEvent = (e) => {
      got.push(e);
      if (got.length === n) resolve();
    };
  });
  return got;
}

Deno.test("ws client: offers binary frames first, and speaks them: commands as frames, several events per message", async () => {
  await withFakeServer("roomcast.binary.v1", async (url, accepted) => {
    const conn = await dialWebSocket(url);
    const { ws, offered, first } = await accepted;
    assert.equal(
      offered,
      "roomcast.binary.v1, roomcast.batch.v1, roomcast.v1",
    );
    const got = events(conn, 2);
    conn.send({ type: "join", room: "lobby", name: "cat" });
    const sent = new Uint8Array(await first as ArrayBuffer);
    assert.deepEqual(decodeFrames(sent), [
      { type: "join", room: "lobby", name: "cat" },
    ] as Frame[]);
    ws.send(concat(encodeFrame(WELCOME), encodeFrame(HI)));
    assert.deepEqual(await got, [WELCOME, HI]);
    conn.close();
    await conn.closed;
  });
});

Deno.test("ws client: JSON arrays from roomcast.batch.v1, one object per message from an older server's roomcast.v1", async () => {
  for (const protocol of ["roomcast.batch.v1", "roomcast.v1"]) {
    await withFakeServer(protocol, async (url, accepted) => {
      const conn = await dialWebSocket(url);
      const { ws, first } = await accepted;
      const got = events(conn, 2);
      conn.send({ type: "join", room: "lobby", name: "cat" });
      assert.deepEqual(JSON.parse(await first as string), {
        type: "join",
        room: "lobby",
        name: "cat",
      });
      if (protocol === "roomcast.batch.v1") {
        ws.send(JSON.stringify([WELCOME, HI]));
      } else {
        ws.send(JSON.stringify(WELCOME));
        ws.send(JSON.stringify(HI));
      }
      assert.deepEqual(await got, [WELCOME, HI], protocol);
      conn.close();
      await conn.closed;
    });
  }
});
