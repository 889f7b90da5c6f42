// Transport cases that need a hand on the server, so they are not in the
// conformance kit (adapters/conformance/), which only speaks the wire: every
// limit set small through `serve` limits and tripped over a real
// connection, announcements, shutdown, and our own defaults.

import assert from "node:assert/strict";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { ChatEvent } from "../../core/events.ts";
import { SOFTWARE } from "../../core/session.ts";
import { concat, expectEvent } from "../../adapters/conformance/mod.ts";
import type { Case } from "./_harness.ts";

/** The server cases every transport must pass (where they apply). */
export const SERVER_CASES: Case[] = [
  {
    name: "a configured frame size limit",
    start: { limits: { maxFrameSize: 1024, maxMessageBytes: 512 } },
    async fn(h) {
      const c = await h.connect();
      c.send({ type: "hello", version: 1, software: "test/1" });
      const ok = await c.next();
      assert.equal(ok.type, "hello_ok");
      if (ok.type === "hello_ok") {
        assert.equal(ok.maxFrame, 1024);
        assert.equal(ok.maxMessage, 512);
      }
      c.send({ type: "join", room: "lobby", name: "mal" });
      assert.equal((await c.next()).type, "welcome");
      c.send({ type: "say", text: "a".repeat(513) });
      await h.expectError(c, "MESSAGE_TOO_LONG", false);
      c.send({ type: "say", text: "a".repeat(1024) });
      await h.expectFatal(c, "FRAME_TOO_LARGE");
    },
  },
  {
    name: "a member that stops reading is cut off as a slow consumer",
    // The buffer must hold what one read of the writer fans out (<= 64 KiB
    // per turn), or the attentive reader would be cut off too.
    start: { limits: { outboundBytes: 256 * 1024, messagesPerSecond: 0 } },
    async fn(h) {
      const [reader, writer, sloth] = await h.members(
        "reader",
        "writer",
        "sloth",
      );
      sloth!.pause();
      const text = "x".repeat(4000);
      const BATCH = 8;
      const batch = concat(
        ...Array.from(
          { length: BATCH },
          () => encodeFrame({ type: "say", text }),
        ),
      );
      // Bounded: 8000 messages (32 MB) or 20 s, whichever comes first.
      const deadline = Date.now() + 20_000;
      let sent = 0, got = 0, cut: ChatEvent | undefined;
      while (cut === undefined) {
        assert.ok(
          sent < 8000 && Date.now() < deadline,
          `sloth still connected after ${sent} messages`,
        );
        writer!.sendRaw(batch);
        sent += BATCH;
        while (got < sent) {
          const e = await reader!.next();
          if (e.type === "message") got++;
          else cut = e;
        }
      }
      assert.deepEqual(cut, {
        type: "left",
        room: "lobby",
        name: "sloth",
        reason: "slow_consumer",
      });
      // Everyone else kept receiving all along (got === sent) and still does.
      assert.equal(got, sent);
      await expectEvent(writer!, cut);
      await h.barrier(writer!, [reader!], "writer");
      await h.barrier(reader!, [writer!], "reader");
      // The sloth gets what the kernel held, then the connection ends.
      sloth!.resume();
      let held = 0;
      for (;;) {
        let e: ChatEvent;
        try {
          e = await sloth!.next();
        } catch (err) {
          assert.match((err as Error).message, /closed by the server/);
          break;
        }
        assert.equal(e.type, "message", JSON.stringify(e).slice(0, 200));
        held++;
      }
      assert.ok(held < sent, `sloth got ${held} of ${sent}`);
    },
  },
  {
    name: "shutdown does not wait for a member that stopped reading",
    start: {
      limits: { messagesPerSecond: 0, outboundBytes: 32 * 1024 * 1024 },
    },
    async fn(h) {
      const [writer, sloth] = await h.members("writer", "sloth");
      sloth!.pause();
      // More than the kernel buffers toward the sloth hold, less than its
      // outbox: it is not cut off, and its last write stays pending.
      const text = "z".repeat(4000);
      const batch = concat(
        ...Array.from({ length: 16 }, () => encodeFrame({ type: "say", text })),
      );
      for (let i = 0; i < 160; i++) writer!.sendRaw(batch); // ~10 MB
      writer!.send({ type: "ping", nonce: 7 });
      await expectEvent(writer!, { type: "pong", nonce: 7 });
      const started = Date.now();
      await h.server.shutdown();
      const took = Date.now() - started;
      assert.ok(took < 4000, `shutdown took ${took} ms`);
      await expectEvent(writer!, {
        type: "left",
        room: "lobby",
        name: "writer",
        reason: "shutdown",
      });
    },
  },
  {
    name: "a connection that does not join in time is closed",
    start: { limits: { joinTimeoutMs: 300 }, tickMs: 25 },
    async fn(h) {
      // (A connection that sends nothing at all may be taken for a person
      // on a text stream; that is the text mode's test.)
      const [amy] = await h.members("amy");
      const hello = await h.hello();
      await h.expectFatal(hello, "JOIN_TIMEOUT");
      amy!.send({ type: "who", room: "" });
      await expectEvent(amy!, {
        type: "members",
        room: "lobby",
        members: ["amy"],
        total: 1,
      });
    },
  },
  {
    name: "connections over the limit are refused",
    start: { limits: { maxConnections: 2 } },
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const third = await h.connect();
      await h.expectFatal(third, "SERVER_FULL");
      await h.barrier(amy!, [bob!], "amy");
      await bob!.close();
      await expectEvent(amy!, {
        type: "left",
        room: "lobby",
        name: "bob",
        reason: "disconnect",
      });
      // A place is free again.
      await h.member("carol", "lobby", [amy!]);
    },
  },
  {
    name: "messages over the rate limit are refused",
    start: { limits: { messagesPerSecond: 1, messageBurst: 3 } },
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      bob!.sendRaw(concat(
        ...["1", "2", "3", "4"].map((text) =>
          encodeFrame({ type: "say", text })
        ),
      ));
      await h.expectError(bob!, "RATE_LIMITED", false);
      for (const text of ["1", "2", "3"]) {
        await expectEvent(amy!, {
          type: "message",
          room: "lobby",
          from: "bob",
          text,
        });
      }
      // Amy's own budget is untouched; bob heard nothing else.
      await h.barrier(amy!, [bob!], "amy");
      amy!.send({ type: "who", room: "" });
      assert.equal((await amy!.next()).type, "members");
    },
  },
  {
    name: "HELLO_OK announces the default limits and roomcast's name",
    async fn(h) {
      const c = await h.connect();
      c.send({ type: "hello", version: 1, software: "test/1" });
      await expectEvent(c, {
        type: "hello_ok",
        version: 1,
        software: SOFTWARE,
        maxFrame: 65536,
        maxMessage: 4096,
      });
    },
  },
  {
    name: "a thousand pipelined messages arrive whole and in order",
    start: { limits: { messagesPerSecond: 0 } },
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const texts = Array.from(
        { length: 1000 },
        (_, i) => `${i} ${"é".repeat(i % 300)}`,
      );
      bob!.sendRaw(
        concat(...texts.map((text) => encodeFrame({ type: "say", text }))),
      );
      for (const text of texts) {
        await expectEvent(amy!, {
          type: "message",
          room: "lobby",
          from: "bob",
          text,
        });
      }
    },
  },
  {
    name: "an announcement reaches every room",
    async fn(h) {
      const [amy] = await h.members("amy");
      const carol = await h.member("carol", "kitchen");
      const result = await h.server.announce("server restarts at 10");
      assert.deepEqual(result, { ok: true, rooms: 2, delivered: 2 });
      for (const c of [amy!, carol]) {
        await expectEvent(c, {
          type: "announcement",
          room: null,
          text: "server restarts at 10",
        });
      }
    },
  },
  {
    name: "shutdown tells every member and closes every connection",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const idle = await h.hello();
      await h.server.shutdown();
      for (const [c, name] of [[amy!, "amy"], [bob!, "bob"]] as const) {
        await expectEvent(c, {
          type: "left",
          room: "lobby",
          name,
          reason: "shutdown",
        });
        await c.ended();
      }
      await h.expectError(idle, "SHUTTING_DOWN", true);
      await idle.ended();
    },
  },
];
