/**
 * Conformance cases: UDP with datagrams lost on purpose by a relay the kit
 * puts in front of the server (relay.ts), and clients that follow the
 * document's rules (udp_client.ts). No lost answer may hang a client: a
 * lost WELCOME or refusal is recovered by sending the JOIN again, a lost
 * ACK and LEFT after LEAVE by sending the LEAVE again (docs/protocol.md,
 * 12.6, "Answers that must not be lost"); and members join, chat and leave
 * through a link that loses 30% of the datagrams both ways.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ConformanceCase } from "./case.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { ConformanceClient } from "./client.ts";
import { expectEvent, type Harness } from "./harness.ts";
import { lossy, type RelayPolicy, UdpRelay } from "./relay.ts";
import { decoded } from "./udp_raw.ts";

/** Waits of a case that loses datagrams, in ms. */
const LOSSY_WAIT_MS = 20_000;
/** The seed of the random losses (the same run loses the same datagrams). */
export const LOSS_SEED = 14;

/** Drop the first `n` server datagrams that carry a frame of `type`. */
function dropFirst(type: string, n = 1): RelayPolicy {
  let dropped = 0;
  return (bytes, toServer) => {
    if (toServer || dropped >= n) return true;
    if (!decoded(bytes).some((f) => f.type === type)) return true;
    dropped++;
    return false;
  };
}

async function relay(h: Harness, policy: RelayPolicy): Promise<UdpRelay> {
  return h.track(await UdpRelay.open(h.url, policy));
}

/** Events until one of `type` (others, such as lost-and-found, skipped). */
async function nextOf(
  c: ConformanceClient,
  type: string,
): Promise<{ type: string }> {
  for (;;) {
    const e = await c.next(LOSSY_WAIT_MS);
    if (e.type === type) return e;
  }
}

/** What comes until the session ends (none of it a fatal error). */
async function drain(c: ConformanceClient): Promise<ChatEvent[]> {
  const got: ChatEvent[] = [];
  for (;;) {
    let e: ChatEvent;
    try {
      e = await c.next(LOSSY_WAIT_MS);
    } catch (err) {
      if (/closed/.test((err as Error).message)) return got;
      throw err;
    }
    assert.ok(e.type !== "error" || !e.fatal, JSON.stringify(e));
    got.push(e);
  }
}

const ANSWERS = "Answers that must not be lost";

/** The loss cases (UDP, through a lossy relay). */
export const LOSS_CASES: readonly ConformanceCase[] = [
  {
    name: "the first WELCOME lost: the JOIN sent again is welcomed",
    on: ["udp"],
    spec: [{
      section: "12.6",
      says:
        "A client waiting for the answer to its JOIN sends **the same JOIN again, in a new numbered datagram**",
    }],
    async fn(h) {
      const [amy] = await h.members("amy");
      const r = await relay(h, dropFirst("welcome"));
      const bob = await h.connect(r.url);
      bob.send({ type: "join", room: h.room(), name: "bob" });
      const w = await bob.next(LOSSY_WAIT_MS);
      assert.equal(w.type, "welcome", JSON.stringify(w));
      assert.equal(r.dropped, 1, "the first WELCOME was dropped");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      await h.barrier(bob, [amy!], "bob");
    },
  },
  {
    name: "the first refusal lost: the JOIN sent again is refused again",
    on: ["udp"],
    spec: [{ section: "12.6", says: ANSWERS }],
    async fn(h) {
      await h.members("amy");
      const r = await relay(h, dropFirst("error"));
      const c = await h.connect(r.url);
      c.send({ type: "join", room: h.room(), name: "AMY" });
      const e = await c.next(LOSSY_WAIT_MS);
      assert.ok(
        e.type === "error" && e.code === "NAME_TAKEN",
        JSON.stringify(e),
      );
      assert.equal(r.dropped, 1, "the first refusal was dropped");
      c.send({ type: "ping", nonce: 5 });
      await expectEvent(c, { type: "pong", nonce: 5 });
    },
  },
  {
    name:
      "the ACK and LEFT after LEAVE lost: the LEAVE sent again ends cleanly",
    on: ["udp"],
    spec: [{
      section: "12.6",
      says:
        "If the ACK is lost too, the client sends the LEAVE datagram again (12.4) and the server answers with the session's last datagram",
    }],
    async fn(h) {
      const [amy] = await h.members("amy");
      const r = await relay(h, dropFirst("left"));
      const bob = await h.connect(r.url);
      bob.send({ type: "join", room: h.room(), name: "bob" });
      assert.equal((await bob.next(LOSSY_WAIT_MS)).type, "welcome");
      await expectEvent(amy!, { type: "joined", room: h.room(), name: "bob" });
      bob.send({ type: "leave" });
      const left = {
        type: "left",
        room: h.room(),
        name: "bob",
        reason: "quit",
      } as const;
      await expectEvent(amy!, left);
      // The session ends cleanly: with the LEFT sent again, or on the ACK.
      for (const e of await drain(bob)) assert.deepEqual(e, left);
      assert.equal(r.dropped, 1, "the first LEFT was dropped");
    },
  },
  {
    name: "30% of datagrams lost both ways: members join, chat and leave",
    on: ["udp"],
    spec: [{
      section: "12.4",
      says: "reliable, in order, exactly once",
    }],
    async fn(h) {
      const [amy] = await h.members("amy");
      const r = await relay(h, lossy(0.3, LOSS_SEED));
      const names = ["bob", "carol"];
      const lossyMembers: ConformanceClient[] = [];
      for (const name of names) {
        const c = await h.connect(r.url);
        c.send({ type: "join", room: h.room(), name });
        await nextOf(c, "welcome");
        await expectEvent(amy!, { type: "joined", room: h.room(), name });
        lossyMembers.push(c);
      }
      const texts = [1, 2, 3, 4, 5].map((i) => `line ${i}`);
      for (const [i, c] of lossyMembers.entries()) {
        for (const text of texts) c.send({ type: "say", text });
        for (const text of texts) {
          await expectEvent(amy!, {
            type: "message",
            room: h.room(),
            from: names[i]!,
            text,
          });
        }
      }
      for (const [i, c] of lossyMembers.entries()) {
        c.send({ type: "leave" });
        await drain(c);
        await expectEvent(amy!, {
          type: "left",
          room: h.room(),
          name: names[i]!,
          reason: "quit",
        });
      }
      assert.ok(r.dropped > 0, "the relay lost nothing");
    },
  },
];
