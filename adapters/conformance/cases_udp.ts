/**
 * Conformance cases: the UDP rules, datagram by datagram (docs/protocol.md,
 * 12): the padded HELLO and its answer, tokens, numbered datagrams handled
 * once and in order, acknowledgements, event numbers, what is answered in a
 * session and what is refused bare, and the answers that must not be lost
 * (JOIN again, LEAVE again).
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame, type Frame } from "../../core/codec/mod.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent, type Harness } from "./harness.ts";
import {
  decoded,
  envelope,
  MIN_HELLO_DATAGRAM,
  paddedHello,
  RawUdp,
} from "./udp_raw.ts";
import { concat } from "./wire.ts";

/** A raw session: its socket, token and the limit from its TOKEN. */
interface RawSession {
  readonly raw: RawUdp;
  readonly token: string;
  readonly maxDatagram: number;
}

async function rawSession(h: Harness): Promise<RawSession> {
  const raw = h.track(await RawUdp.open(h.url));
  const { token, frames } = await raw.handshake();
  const t = frames.find((f) => f.type === "token");
  const maxDatagram = t?.type === "token" ? t.maxDatagram : 1200;
  return { raw, token, maxDatagram };
}

/** A raw session that joined `name` in the case's lobby with seq 1. */
async function rawMember(h: Harness, name: string): Promise<RawSession> {
  const s = await rawSession(h);
  s.raw.send(envelope(s.token, 1, { type: "join", room: h.room(), name }));
  await s.raw.until((f) => f.type === "welcome");
  return s;
}

const isAck = (f: Frame) => f.type === "ack";
const ONE_SECTION = (section: string, says: string) => [{ section, says }];

/** The UDP cases (raw datagrams). */
export const UDP_CASES: readonly ConformanceCase[] = [
  {
    name:
      "an unpadded HELLO is refused with a fatal DATAGRAM_TOO_SMALL no longer than it",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.3",
      "A HELLO datagram under 256 bytes is refused with a fatal `DATAGRAM_TOO_SMALL` (cut to fit)",
    ),
    async fn(h) {
      const raw = h.track(await RawUdp.open(h.url));
      const small = paddedHello(MIN_HELLO_DATAGRAM - 1);
      raw.send(small);
      const answer = await raw.next();
      assert.ok(answer.length <= small.length, `${answer.length} bytes`);
      const [e] = decoded(answer);
      assert.ok(e?.type === "error", JSON.stringify(e));
      assert.equal(e.code, "DATAGRAM_TOO_SMALL");
      assert.equal(e.fatal, true);
    },
  },
  {
    name:
      "a padded HELLO gets SEQ, TOKEN and HELLO_OK in one datagram no larger; again, the same",
    on: ["udp"],
    spec: [
      {
        section: "12.3",
        says:
          "The server answers with **one datagram**: SEQ (the new token, event number 1), TOKEN, and HELLO_OK (event 1).",
      },
      {
        section: "12.3",
        says:
          "If the answer is lost, send the same HELLO again from the same address: until the token is used, the server answers with the identical datagram (same token).",
      },
    ],
    async fn(h) {
      const raw = h.track(await RawUdp.open(h.url));
      const hello = paddedHello();
      raw.send(hello);
      const answer = await raw.next();
      assert.ok(answer.length <= hello.length, `${answer.length} bytes`);
      const [seq, token, ok] = decoded(answer);
      assert.ok(seq?.type === "seq" && token?.type === "token");
      assert.equal(seq.seq, 1);
      assert.equal(seq.token, token.token);
      assert.equal(ok?.type, "hello_ok");
      assert.ok(token.pingIntervalMs <= token.idleTimeoutMs);
      raw.send(hello);
      assert.deepEqual(await raw.next(), answer);
    },
  },
  {
    name:
      "a datagram with no session is refused with a fatal BAD_TOKEN no longer than it",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.3",
      "A datagram with a missing, unknown or wrong token is refused with a fatal `BAD_TOKEN` (bare, cut to fit, never longer than the datagram)",
    ),
    async fn(h) {
      const [amy] = await h.members("amy");
      const raw = h.track(await RawUdp.open(h.url));
      const forged = envelope("0000002a8f3c11d07e2b9a6c5d4e3f21", 1, {
        type: "say",
        text: "I am amy",
      });
      const tokenless = encodeFrame({ type: "say", text: "no token, no say" });
      for (const bytes of [forged, tokenless]) {
        raw.send(bytes);
        const answer = await raw.next();
        assert.ok(answer.length <= bytes.length, `${answer.length} bytes`);
        const [e] = decoded(answer);
        assert.ok(e?.type === "error" && e.code === "BAD_TOKEN" && e.fatal);
      }
      await h.barrier(amy!, [], "amy");
    },
  },
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
  {
    name:
      "a session's datagram that is not whole frames is acknowledged and answered in it",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.7",
      "acknowledged; ERROR `FRAME_MALFORMED` or `FRAME_TOO_LARGE` in the session, not fatal",
    ),
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await rawMember(h, "bob");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      const cut = new Uint8Array([0xab, 0x03, 0, 0, 0, 9, 1, 2]);
      bob.raw.send(concat(envelope(bob.token, 2), cut));
      const e = await bob.raw.until((f) => f.type === "error");
      assert.ok(e.frames.some((f) => f.type === "ack" && f.ack === 2));
      assert.ok(e.frame.type === "error" && e.frame.code === "FRAME_MALFORMED");
      assert.equal(e.frame.fatal, false);
      assert.equal(e.frames[0]?.type, "seq", "in the session");
      bob.raw.send(envelope(bob.token, 3, { type: "say", text: "still here" }));
      await expectEvent(amy!, {
        type: "message",
        room: h.room(),
        from: "bob",
        text: "still here",
      });
    },
  },
  {
    name:
      "a session's datagram over max_datagram is acknowledged and answered in it",
    on: ["udp"],
    spec: ONE_SECTION(
      "12.7",
      "acknowledged; ERROR `DATAGRAM_TOO_LARGE` in the session, not fatal",
    ),
    async fn(h) {
      const bob = await rawMember(h, "bob");
      const text = "z".repeat(bob.maxDatagram);
      bob.raw.send(envelope(bob.token, 2, { type: "say", text }));
      const e = await bob.raw.until((f) => f.type === "error");
      assert.ok(e.frames.some((f) => f.type === "ack" && f.ack === 2));
      assert.ok(e.frame.type === "error");
      assert.equal(e.frame.code, "DATAGRAM_TOO_LARGE");
      assert.equal(e.frame.fatal, false);
    },
  },
];
