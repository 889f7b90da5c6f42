// Conformance cases: the chat as members see it over a transport.

import assert from "node:assert/strict";
import { encodeFrame, PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import { concat } from "./_client.ts";
import { type Case, expectError, expectEvent } from "./_harness.ts";

/** The chat cases every transport must pass. */
export const CHAT_CASES: Case[] = [
  {
    name: "hello, join and welcome",
    async fn(h) {
      const c = await h.connect();
      c.send({ type: "hello", version: PROTOCOL_VERSION, software: "test/1" });
      const ok = await c.next();
      assert.equal(ok.type, "hello_ok");
      if (ok.type !== "hello_ok") return;
      assert.equal(ok.version, PROTOCOL_VERSION);
      assert.equal(ok.maxFrame, 65536);
      assert.equal(ok.maxMessage, 4096);
      assert.match(ok.software, /^roomcast\//);
      c.send({ type: "join", room: "lobby", name: " Bob " });
      await expectEvent(c, {
        type: "welcome",
        room: "lobby",
        name: "Bob",
        members: ["Bob"],
        total: 1,
      });
      await h.member("amy", "lobby", [c]);
    },
  },
  {
    name: "joined and left notices",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const carol = await h.member("carol", "lobby", [amy!, bob!]);
      await carol.close(); // no LEAVE: the connection just goes away
      for (const c of [amy!, bob!]) {
        await expectEvent(c, {
          type: "left",
          room: "lobby",
          name: "carol",
          reason: "disconnect",
        });
      }
      await h.barrier(amy!, [bob!], "amy");
    },
  },
  {
    name: "a message reaches every other member and not the sender",
    async fn(h) {
      const [amy, bob, carol] = await h.members("amy", "bob", "carol");
      const elsewhere = await h.member("dave", "kitchen");
      bob!.send({ type: "say", text: "hi 你好 👋" });
      for (const c of [amy!, carol!]) {
        await expectEvent(c, {
          type: "message",
          room: "lobby",
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
    async fn(h) {
      const [bob] = await h.members("bob");
      const c = await h.hello();
      c.send({ type: "join", room: "lobby", name: "BOB" });
      await expectError(c, "NAME_TAKEN", false);
      c.send({ type: "join", room: "lobby", name: "Admin" });
      await expectError(c, "NAME_RESERVED", false);
      c.send({ type: "join", room: "lobby", name: "a\u0007b" });
      await expectError(c, "NAME_INVALID", false);
      c.send({ type: "join", room: "lobby", name: "bob2" });
      const w = await c.next();
      assert.equal(w.type, "welcome");
      if (w.type === "welcome") {
        assert.deepEqual([...w.members].sort(), ["bob", "bob2"]);
      }
      // Bob saw only the one that got in.
      await expectEvent(bob!, { type: "joined", room: "lobby", name: "bob2" });
    },
  },
  {
    name: "join moves a member between rooms",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const carol = await h.member("carol", "kitchen");
      const bob2 = await h.member("bob", "garden");
      bob!.send({ type: "join", room: "kitchen", name: "bob" });
      await expectEvent(amy!, {
        type: "left",
        room: "lobby",
        name: "bob",
        reason: "moved",
      });
      await expectEvent(carol, {
        type: "joined",
        room: "kitchen",
        name: "bob",
      });
      const w = await bob!.next();
      assert.equal(w.type, "welcome");
      if (w.type === "welcome") {
        assert.equal(w.room, "kitchen");
        assert.deepEqual([...w.members].sort(), ["bob", "carol"]);
      }
      // Name taken in the target room: refused, and bob stays in kitchen.
      bob!.send({ type: "join", room: "garden", name: "bob" });
      await expectError(bob!, "NAME_TAKEN", false);
      await h.barrier(bob!, [carol], "bob", "kitchen");
      await h.barrier(bob2, [], "bob", "garden");
      await h.barrier(amy!, [], "amy");
    },
  },
  {
    name: "WHO lists the members of a room",
    async fn(h) {
      const [amy] = await h.members("amy", "bob");
      await h.member("carol", "kitchen");
      amy!.send({ type: "who", room: "" });
      const here = await amy!.next();
      assert.equal(here.type, "members");
      if (here.type === "members") {
        assert.equal(here.room, "lobby");
        assert.equal(here.total, 2);
        assert.deepEqual([...here.members].sort(), ["amy", "bob"]);
      }
      amy!.send({ type: "who", room: "kitchen" });
      await expectEvent(amy!, {
        type: "members",
        room: "kitchen",
        members: ["carol"],
        total: 1,
      });
    },
  },
  {
    name: "LEAVE: the member is told it left, then the connection closes",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      bob!.send({ type: "leave" });
      const left = {
        type: "left",
        room: "lobby",
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
    async fn(h) {
      const [amy] = await h.members("amy");
      const c = await h.connect();
      c.sendRaw(concat(
        encodeFrame({ type: "hello", version: 1, software: "test/1" }),
        encodeFrame({ type: "join", room: "lobby", name: "bob" }),
        encodeFrame({ type: "say", text: "first" }),
        encodeFrame({ type: "say", text: "second" }),
      ));
      assert.equal((await c.next()).type, "hello_ok");
      assert.equal((await c.next()).type, "welcome");
      await expectEvent(amy!, { type: "joined", room: "lobby", name: "bob" });
      for (const text of ["first", "second"]) {
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
    async fn(h) {
      const c = await h.hello();
      c.send({ type: "ping", nonce: 0xdeadbeef });
      await expectEvent(c, { type: "pong", nonce: 0xdeadbeef });
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
      await expectError(idle, "SHUTTING_DOWN", true);
      await idle.ended();
    },
  },
];
