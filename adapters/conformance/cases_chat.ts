/**
 * Conformance cases: the chat as members see it (docs/protocol.md, 5):
 * HELLO and JOIN, fan-out without echo, names taken, moving, WHO, LEAVE,
 * pipelining, PING.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame, PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent } from "./harness.ts";
import { concat } from "./wire.ts";

/** The chat cases. */
export const CHAT_CASES: readonly ConformanceCase[] = [
  {
    name: "hello, join and welcome",
    spec: [
      {
        section: "9",
        says: "Since the server keeps `max_message + 512 <= max_frame`",
      },
    ],
    async fn(h) {
      const c = await h.connect();
      c.send({ type: "hello", version: PROTOCOL_VERSION, software: "kit/1" });
      const ok = await c.next();
      assert.equal(ok.type, "hello_ok");
      if (ok.type !== "hello_ok") return;
      assert.equal(ok.version, PROTOCOL_VERSION);
      assert.equal(typeof ok.software, "string");
      assert.ok(ok.maxMessage >= 1, `max_message ${ok.maxMessage}`);
      assert.ok(
        ok.maxMessage + 512 <= ok.maxFrame,
        `max_message ${ok.maxMessage} + 512 > max_frame ${ok.maxFrame}`,
      );
      const lobby = h.room();
      c.send({ type: "join", room: lobby, name: " Bob " });
      await expectEvent(c, {
        type: "welcome",
        room: lobby,
        name: "Bob",
        members: ["Bob"],
        total: 1,
      });
      await h.member("amy", lobby, [c]);
    },
  },
  {
    name: "joined and left notices",
    spec: [
      { section: "7", says: "The connection went away without LEAVE" },
    ],
    // No connection to lose over UDP: a member that goes away without LEAVE
    // leaves by timeout.
    on: ["stream"],
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const carol = await h.member("carol", h.room(), [amy!, bob!]);
      await carol.close(); // no LEAVE: the connection just goes away
      for (const c of [amy!, bob!]) {
        await expectEvent(c, {
          type: "left",
          room: h.room(),
          name: "carol",
          reason: "disconnect",
        });
      }
      await h.barrier(amy!, [bob!], "amy");
    },
  },
  {
    name: "a message reaches every other member and not the sender",
    spec: [
      {
        section: "5.3",
        says: "**members never receive their own MESSAGE echo**",
      },
    ],
    async fn(h) {
      const [amy, bob, carol] = await h.members("amy", "bob", "carol");
      const elsewhere = await h.member("dave", h.room("kitchen"));
      bob!.send({ type: "say", text: "hi 你好 👋" });
      for (const c of [amy!, carol!]) {
        await expectEvent(c, {
          type: "message",
          room: h.room(),
          from: "bob",
          text: "hi 你好 👋",
        });
      }
      // Bob's next event is Amy's line, not his own echo; Dave heard nothing.
      await h.barrier(amy!, [bob!, carol!], "amy");
      elsewhere.send({ type: "who", room: "" });
      const m = await elsewhere.next();
      assert.equal(m.type, "members", "dave heard nothing from lobby");
    },
  },
  {
    name: "a duplicate name is refused, then another name works",
    spec: [
      {
        section: "5.2",
        says:
          "On failure the client gets a **non-fatal ERROR** and the session stays open",
      },
    ],
    async fn(h) {
      const [bob] = await h.members("bob");
      const c = await h.hello();
      const lobby = h.room();
      c.send({ type: "join", room: lobby, name: "BOB" });
      await h.expectError(c, "NAME_TAKEN", false);
      c.send({ type: "join", room: lobby, name: "Admin" });
      await h.expectError(c, "NAME_RESERVED", false);
      c.send({ type: "join", room: lobby, name: "a\u0007b" });
      await h.expectError(c, "NAME_INVALID", false);
      c.send({ type: "join", room: lobby, name: "bob2" });
      const w = await c.next();
      assert.equal(w.type, "welcome");
      if (w.type === "welcome") {
        assert.deepEqual([...w.members].sort(), ["bob", "bob2"]);
      }
      // Bob saw only the one that got in.
      await expectEvent(bob!, { type: "joined", room: lobby, name: "bob2" });
    },
  },
  {
    name: "join moves a member between rooms",
    spec: [
      {
        section: "5.2",
        says: "The mover does not receive a LEFT for its old room.",
      },
    ],
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const carol = await h.member("carol", h.room("kitchen"));
      const bob2 = await h.member("bob", h.room("garden"));
      bob!.send({ type: "join", room: h.room("kitchen"), name: "bob" });
      await expectEvent(amy!, {
        type: "left",
        room: h.room(),
        name: "bob",
        reason: "moved",
      });
      await expectEvent(carol, {
        type: "joined",
        room: h.room("kitchen"),
        name: "bob",
      });
      const w = await bob!.next();
      assert.equal(w.type, "welcome");
      if (w.type === "welcome") {
        assert.equal(w.room, h.room("kitchen"));
        assert.deepEqual([...w.members].sort(), ["bob", "carol"]);
      }
      // Name taken in the target room: refused, and bob stays in kitchen.
      bob!.send({ type: "join", room: h.room("garden"), name: "bob" });
      await h.expectError(bob!, "NAME_TAKEN", false);
      await h.barrier(bob!, [carol], "bob", h.room("kitchen"));
      await h.barrier(bob2, [], "bob", h.room("garden"));
      await h.barrier(amy!, [], "amy");
    },
  },
  {
    name: "WHO lists the members of a room",
    spec: [
      { section: "5.4", says: "the answer is **MEMBERS**" },
    ],
    async fn(h) {
      const [amy] = await h.members("amy", "bob");
      await h.member("carol", h.room("kitchen"));
      amy!.send({ type: "who", room: "" });
      const here = await amy!.next();
      assert.equal(here.type, "members");
      if (here.type === "members") {
        assert.equal(here.room, h.room());
        assert.equal(here.total, 2);
        assert.deepEqual([...here.members].sort(), ["amy", "bob"]);
      }
      amy!.send({ type: "who", room: h.room("kitchen") });
      await expectEvent(amy!, {
        type: "members",
        room: h.room("kitchen"),
        members: ["carol"],
        total: 1,
      });
    },
  },
  {
    name: "LEAVE: the member is told it left, then the connection closes",
    spec: [
      {
        section: "5.6",
        says:
          "sends the client the same LEFT, once its name is free on every node",
      },
    ],
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      bob!.send({ type: "leave" });
      const left = {
        type: "left",
        room: h.room(),
        name: "bob",
        reason: "quit",
      } as const;
      await expectEvent(bob!, left);
      await bob!.ended();
      await expectEvent(amy!, left);
    },
  },
  {
    name: "HELLO, JOIN and SAY pipelined in one write",
    spec: [
      { section: "5.1", says: "The client may **pipeline**" },
    ],
    async fn(h) {
      const [amy] = await h.members("amy");
      const c = await h.connect();
      c.sendRaw(concat(
        encodeFrame({ type: "hello", version: 1, software: "kit/1" }),
        encodeFrame({ type: "join", room: h.room(), name: "bob" }),
        encodeFrame({ type: "say", text: "first" }),
        encodeFrame({ type: "say", text: "second" }),
      ));
      assert.equal((await c.next()).type, "hello_ok");
      assert.equal((await c.next()).type, "welcome");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      for (const text of ["first", "second"]) {
        await expectEvent(amy!, {
          type: "message",
          room: h.room(),
          from: "bob",
          text,
        });
      }
    },
  },
  {
    name: "every member hears every other member",
    async fn(h) {
      const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
      const members = await h.members(...names);
      members.forEach((m, i) => m.send({ type: "say", text: `from ${i}` }));
      for (const [i, m] of members.entries()) {
        const heard = new Set<string>();
        for (let n = 0; n < names.length - 1; n++) {
          const e = await m.next();
          assert.equal(e.type, "message", JSON.stringify(e));
          if (e.type === "message") heard.add(e.from);
        }
        assert.equal(heard.size, names.length - 1);
        assert.ok(!heard.has(`m${i}`));
      }
    },
  },
  {
    name: "PING is answered with PONG",
    spec: [
      { section: "5.5", says: "answers **PONG** with the same `nonce`" },
    ],
    async fn(h) {
      const c = await h.hello();
      c.send({ type: "ping", nonce: 0xdeadbeef });
      await expectEvent(c, { type: "pong", nonce: 0xdeadbeef });
    },
  },
];
