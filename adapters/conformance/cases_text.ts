/**
 * Conformance cases: how a server tells text from binary (docs/protocol.md,
 * 5.1, 13.1, 13.6): a first byte that is not 0xAB is a person typing (no
 * prompt: they started), silence brings the prompt and a binary client that
 * was slow to speak still gets in, and over UDP a datagram that is not
 * binary is text too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeFrames, encodeFrame, MAGIC } from "../../core/codec/mod.ts";
import type { ConformanceCase } from "./case.ts";
import { openStream } from "./stream_client.ts";
import { RawUdp } from "./udp_raw.ts";

const PROMPT = "name (名字): ";
const te = new TextEncoder();

/**
 * Bytes from a connection until `done` says they are enough; rejects after
 * `ms` or when the server closes first.
 */
async function readUntil(
  conn: Deno.Conn,
  done: (bytes: Uint8Array) => boolean,
  ms = 3000,
): Promise<Uint8Array> {
  let got = new Uint8Array(0);
  const buf = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `got ${JSON.stringify(new TextDecoder().decode(got))} in ${ms} ms`,
          ),
        ),
      ms,
    );
  });
  try {
    while (!done(got)) {
      const n = await Promise.race([conn.read(buf), timeout]);
      if (n === null) throw new Error("closed by the server");
      const next = new Uint8Array(got.length + n);
      next.set(got);
      next.set(buf.subarray(0, n), got.length);
      got = next;
    }
    return got;
  } finally {
    clearTimeout(timer);
  }
}

/** A name no other case or person on the server is likely to have. */
function uniqueName(h: { room(base: string): string }): string {
  return h.room("kit").slice(0, 32);
}

/** The text cases. */
export const TEXT_CASES: readonly ConformanceCase[] = [
  {
    name: "a first byte that is not 0xAB starts a text session, with no prompt",
    on: ["stream"],
    spec: [
      {
        section: "5.1",
        says:
          "A first byte that is not `0xAB` makes the connection a [text mode](#13-text-mode) session, whose first line is the name: the server writes no prompt",
      },
      {
        section: "13.1",
        says: "Its first line is the name, and the server writes no prompt",
      },
    ],
    async fn(h) {
      const conn = h.track(await openStream(h.url));
      const name = uniqueName(h);
      await conn.write(te.encode(`${name}\n`));
      const line = `you are ${name} in lobby`;
      const got = new TextDecoder().decode(
        await readUntil(
          conn,
          (b) => new TextDecoder().decode(b).includes("\n"),
        ),
      );
      assert.ok(
        got.startsWith(line),
        `expected "${line}...", got ${JSON.stringify(got)}`,
      );
      await conn.write(te.encode("/quit\n"));
      await readUntil(
        conn,
        (b) => new TextDecoder().decode(b).includes(`${name} left`),
      );
    },
  },
  {
    name: "silence brings the prompt, and a HELLO after it is still binary",
    on: ["stream"],
    spec: [
      {
        section: "5.1",
        says:
          "No byte at all for 500 ms makes the server write the prompt `name (名字):` and a space; a HELLO that comes after it is still accepted",
      },
    ],
    async fn(h) {
      const conn = h.track(await openStream(h.url));
      const prompt = te.encode(PROMPT);
      const started = Date.now();
      const got = await readUntil(conn, (b) => b.length >= prompt.length);
      assert.ok(
        Date.now() - started >= 400,
        "prompted before 500 ms of silence",
      );
      assert.deepEqual(got, prompt);
      await conn.write(
        encodeFrame({ type: "hello", version: 1, software: "kit/1" }),
      );
      const whole = (b: Uint8Array) =>
        b.length >= 6 &&
        b.length >= 6 + new DataView(b.buffer, b.byteOffset).getUint32(2);
      const answer = await readUntil(conn, whole);
      assert.equal(answer[0], MAGIC, "binary after the prompt");
      const [ok] = decodeFrames(answer);
      assert.equal(ok && !(ok instanceof Error) && ok.type, "hello_ok");
    },
  },
  {
    name: "a datagram that is not binary, from a new address, is text",
    on: ["udp"],
    spec: [
      {
        section: "12.7",
        says:
          "a text session ([13.6](#136-over-udp-nc--u)): lines back, which may be longer than the datagram; when text mode is off, the line `text mode is off on UDP`",
      },
    ],
    async fn(h) {
      const raw = h.track(await RawUdp.open(h.url));
      const name = uniqueName(h);
      // A line of spaces after the name is ignored, and makes the datagram
      // long enough for the "text mode is off" line, which is never longer.
      raw.send(te.encode(`${name}\n${" ".repeat(32)}`));
      const answer = await raw.next();
      assert.notEqual(answer[0], MAGIC, "answered with binary frames");
      const text = new TextDecoder("utf-8", { fatal: true }).decode(answer);
      if (text === "text mode is off on UDP\n") return;
      assert.ok(
        text.startsWith(`you are ${name} in lobby`),
        `got ${JSON.stringify(text)}`,
      );
      raw.send(te.encode("/quit"));
      const bye = new TextDecoder().decode(await raw.next());
      assert.match(bye, /left the room/);
    },
  },
];
