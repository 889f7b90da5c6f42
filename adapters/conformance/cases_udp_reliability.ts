/**
 * Conformance cases: UDP reliability, datagram by datagram
 * (docs/protocol.md, 12.3 to 12.6): numbered datagrams handled once and in
 * order, the ACK and its mask, seq 0, event numbers, and the answers that
 * must not be lost (a JOIN sent again, a LEAVE sent again after the end).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Frame } from "../../core/codec/mod.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent } from "./harness.ts";
import { decoded, envelope, rawMember, rawSession } from "./udp_raw.ts";

const isAck = (f: Frame) => f.type === "ack";
const ONE_SECTION = (section: string, says: string) => [{ section, says }];

/** The UDP reliability cases. */
export const UDP_RELIABILITY_CASES: readonly ConformanceCase[] = [
  {
    name:
      "a numbered datagram sent twice is handled once and acknowledged twice",
    on: ["udp"],
    spec: [
      {
        section: "12.4",
        says:
          "one that was seen before is not handled again, only acknowledged again",
      },
      {
        section: "12.5",
        says:
          "A datagram with no events (an ACK alone) carries the number the next event will have.",
      },
    ],
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await rawMember(h, "bob");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      const say = envelope(bob.token, 2, { type: "say", text: "once" });
      bob.raw.send(say);
      const first = await bob.raw.until(isAck);
      bob.raw.send(say);
      const again = decoded(await bob.raw.next());
      assert.deepEqual(again.slice(1), [{ type: "ack", ack: 2, mask: 0 }]);
      const seq = (ds: Frame[]) => ds.find((f) => f.type === "seq");
      const before = seq(first.frames);
      const after = seq(again);
      assert.ok(before?.type === "seq" && after?.type === "seq");
      assert.ok(after.seq >= before.seq, "event numbers go forward");
      await expectEvent(amy!, {
        type: "message",
        room: h.room(),
        from: "bob",
        text: "once",
      });
      await h.barrier(amy!, [], "amy");
    },
  },
  {
    name:
      "a datagram ahead of a gap is held, shown in the ACK mask, handled in order",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.4",
      "bit `i` of `mask` (bit 0 is the least significant) is set when `seq = ack + 1 + i` has been received and is held",
    ),
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await rawMember(h, "bob");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      bob.raw.send(envelope(bob.token, 3, { type: "say", text: "second" }));
      const held = await bob.raw.until(isAck);
      assert.deepEqual(held.frame, { type: "ack", ack: 1, mask: 0b10 });
      bob.raw.send(envelope(bob.token, 2, { type: "say", text: "first" }));
      const done = await bob.raw.until(isAck);
      assert.deepEqual(done.frame, { type: "ack", ack: 3, mask: 0 });
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
    name:
      "seq 0 is not acknowledged; a PING in it is answered; an empty one gets nothing",
    on: ["udp"],
    spec: [
      {
        section: "12.3",
        says:
          "The empty ENVELOPE gets no answer: seq 0 is not acknowledged (12.4), and it holds no command.",
      },
      {
        section: "12.6",
        says:
          "in an unreliable datagram: ENVELOPE with `seq` 0, then PING. The server answers PONG.",
      },
    ],
    async fn(h) {
      const s = await rawSession(h);
      s.raw.send(envelope(s.token, 0));
      await s.raw.silent(500);
      s.raw.send(envelope(s.token, 0, { type: "ping", nonce: 9 }));
      const got = decoded(await s.raw.next());
      assert.deepEqual(got.slice(1), [{ type: "pong", nonce: 9 }]);
    },
  },
  {
    name:
      "LEAVE before JOIN is acknowledged with no LEFT, and again if sent again",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.6",
      "A LEAVE before JOIN gets the ACK alone (there is nobody to tell).",
    ),
    async fn(h) {
      const s = await rawSession(h);
      const leave = envelope(s.token, 1, { type: "leave" });
      s.raw.send(leave);
      const answer = decoded(await s.raw.next());
      assert.deepEqual(answer.slice(1), [{ type: "ack", ack: 1, mask: 0 }]);
      s.raw.send(leave);
      assert.deepEqual(decoded(await s.raw.next()), answer);
    },
  },
  {
    name: "a JOIN sent again gets WELCOME again; the room sees one JOINED",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.6",
      "A JOIN for the room and the name the member already has changes nothing and is answered with WELCOME again",
    ),
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await rawMember(h, "bob");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      // The WELCOME was lost, as far as bob knows: the same JOIN again.
      bob.raw.send(envelope(bob.token, 2, {
        type: "join",
        room: h.room(),
        name: "bob",
      }));
      const w = await bob.raw.until((f) => f.type === "welcome");
      assert.deepEqual(w.frame, {
        type: "welcome",
        room: h.room(),
        name: "bob",
        members: ["amy", "bob"],
        total: 2,
      });
      await h.barrier(amy!, [], "amy");
    },
  },
  {
    name: "a refused JOIN sent again is refused again",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.6",
      "a refused JOIN changed nothing, so sending it again is decided again",
    ),
    async fn(h) {
      await h.members("bob");
      const s = await rawSession(h);
      for (const seq of [1, 2]) {
        s.raw.send(envelope(s.token, seq, {
          type: "join",
          room: h.room(),
          name: "BOB",
        }));
        const e = await s.raw.until((f) => f.type === "error");
        assert.ok(e.frame.type === "error" && e.frame.code === "NAME_TAKEN");
        assert.equal(e.frame.fatal, false);
      }
    },
  },
  {
    name:
      "after LEAVE, the same LEAVE again gets the session's last datagram again",
    on: ["udp"],
    spec: [
      {
        section: "12.6",
        says:
          "the server keeps its **last datagram** (a SEQ, the ACK of every datagram it handled, and the LEFT or fatal ERROR that ended it, if any) for `idle_ms`, and sends it again in answer to any datagram with that token from the session's last address",
      },
    ],
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await rawMember(h, "bob");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      const leave = envelope(bob.token, 2, { type: "leave" });
      bob.raw.send(leave);
      const left = {
        type: "left",
        room: h.room(),
        name: "bob",
        reason: "quit",
      } as const;
      const last = await bob.raw.until((f) => f.type === "left");
      assert.deepEqual(last.frame, left);
      assert.ok(last.frames.some((f) => f.type === "ack" && f.ack === 2));
      await expectEvent(amy!, left);
      // The ACK and LEFT were lost, as far as bob knows: LEAVE again.
      bob.raw.send(leave);
      const again = decoded(await bob.raw.next());
      assert.equal(again[0]?.type, "seq");
      assert.ok(again.some((f) => f.type === "ack" && f.ack === 2));
      assert.deepEqual(again.at(-1), left);
      await h.barrier(amy!, [], "amy");
    },
  },
];
