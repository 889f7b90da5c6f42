/**
 * Conformance cases: opening a UDP session and what is refused
 * (docs/protocol.md, 12.1, 12.3 and 12.7), datagram by datagram: the
 * padded HELLO and its one answer, no larger than it; bare refusals no
 * longer than what they answer; a session's datagram refused whole is
 * still acknowledged and answered in the session.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent } from "./harness.ts";
import {
  decoded,
  envelope,
  MIN_HELLO_DATAGRAM,
  paddedHello,
  rawMember,
  RawUdp,
} from "./udp_raw.ts";
import { concat } from "./wire.ts";

const ONE_SECTION = (section: string, says: string) => [{ section, says }];

/** The UDP opening and refusal cases. */
export const UDP_OPENING_CASES: readonly ConformanceCase[] = [
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
