// `cli.ts serve --workers 2` as a real process for the Workers' tests, and
// TCP clients of it.

import assert from "node:assert/strict";
import type { ChatEvent } from "../../../core/events.ts";
import { PROTOCOL_VERSION } from "../../../core/codec/mod.ts";
import { Proc } from "../../_process.ts";
import { connectStream, type TestClient } from "../_conformance.ts";

/** The admin token the servers run with. */
export const ADMIN = "workers-admin-token-0123456789";

/**
 * `serve --workers 2` on free ports, a socket in a temp dir, with `extra`
 * arguments.
 */
export async function start(
  transports = "tcp,unix,http",
  extra: string[] = [],
): Promise<{ proc: Proc; urls: Record<string, string>; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-workers-" });
  const proc = Proc.cli("serve", [
    "serve",
    "--workers",
    "2",
    "-t",
    transports,
    "--port",
    "0",
    "--http-port",
    "0",
    "--socket",
    `${dir}/chat.sock`,
    "--rate",
    "0",
    ...extra,
  ], { env: { CHAT_ADMIN_TOKEN: ADMIN, XDG_RUNTIME_DIR: dir } });
  const urls: Record<string, string> = {};
  try {
    for (let i = 0; i < transports.split(",").length; i++) {
      const m = await proc.expect(
        /listen transport=(\w+) url=(\S+)/,
        "stderr",
        30_000,
      );
      urls[m[1]!] = m[2]!;
    }
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { proc, urls, dir };
}

/** A client that said HELLO and sent JOIN; its first answer. */
export async function join(
  url: string,
  name: string,
  room = "lobby",
): Promise<{ client: TestClient; answer: ChatEvent }> {
  const client = await connectStream(url);
  client.send({ type: "hello", version: PROTOCOL_VERSION, software: "t/1" });
  assert.equal((await client.next()).type, "hello_ok");
  client.send({ type: "join", room, name });
  return { client, answer: await client.next() };
}

/** The next event that matches, skipping others (bounded). */
export async function until(
  c: TestClient,
  match: (e: ChatEvent) => boolean,
): Promise<ChatEvent> {
  for (let i = 0; i < 500; i++) {
    const e = await c.next();
    if (match(e)) return e;
  }
  throw new Error("no matching event in 500");
}
