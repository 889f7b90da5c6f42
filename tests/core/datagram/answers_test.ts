// The answers a datagram client must not lose (core/datagram/answers.ts,
// docs/protocol.md "Answers that must not be lost"), end to end in memory:
// a lost WELCOME or refusal is recovered by sending the JOIN again, a lost
// ACK and LEFT after LEAVE still end the session cleanly.

import assert from "node:assert/strict";
import { encodeFrame } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { frames, member, Net, type Packet } from "./_net.ts";

/** True when a server datagram carries an event of this type. */
function carries(p: Packet, type: string): boolean {
  return !p.toServer &&
    frames(p.bytes).some((f) => !(f instanceof Error) && f.type === type);
}

/** A wire that drops the first `n` server datagrams carrying `type`. */
function dropFirst(
  type: string,
  n = 1,
): { wire: Net["wire"]; dropped: () => number } {
  let dropped = 0;
  return {
    wire: (p) => {
      if (dropped < n && carries(p, type)) {
        dropped++;
        return 0;
      }
      return 1;
    },
    dropped: () => dropped,
  };
}

function types(events: readonly ChatEvent[]): string[] {
  return events.map((e) => e.type);
}

Deno.test("udp answers: a lost WELCOME is recovered by sending the JOIN again; the room sees one JOINED", () => {
  for (const lost of [1, 2, 3]) {
    const net = new Net();
    const amy = member(net, "amy");
    const bob = net.client();
    net.run();
    const drop = dropFirst("welcome", lost);
    net.wire = drop.wire;
    net.send(bob, { type: "join", room: "lobby", name: "bob" });
    net.advance(10_000);
    assert.equal(drop.dropped(), lost);
    const welcomes = bob.events.filter((e) => e.type === "welcome");
    assert.equal(welcomes.length, 1, JSON.stringify(bob.events));
    assert.deepEqual(
      amy.events.filter((e) => e.type === "joined"),
      [{ type: "joined", room: "lobby", name: "bob" }],
    );
    assert.ok(bob.lost >= lost);
    assert.equal(bob.client.state, "open");
  }
});

Deno.test("udp answers: a lost WELCOME with no datagram after it is recovered after a wait", () => {
  const net = new Net();
  const bob = net.client();
  net.run();
  // The ACK comes alone, the WELCOME in a later datagram that is lost.
  let dropped = 0;
  net.wire = (p) => {
    if (carries(p, "welcome") && dropped++ === 0) {
      // Keep the ACK, lose the event: what a split flush can do.
      const ack = frames(p.bytes).filter((f) =>
        !(f instanceof Error) && (f.type === "seq" || f.type === "ack")
      );
      assert.equal(ack.length, 2);
      bob.client.receive(p.bytes.subarray(0, 26 + 14));
      return 0;
    }
    return 1;
  };
  net.send(bob, { type: "join", room: "lobby", name: "bob" });
  net.run();
  assert.deepEqual(bob.events, []);
  net.advance(900);
  assert.equal(bob.events.length, 0);
  net.advance(1000);
  assert.deepEqual(types(bob.events), ["welcome"]);
});

Deno.test("udp answers: a lost refusal is recovered; a repeated answer is not shown twice", () => {
  const net = new Net();
  member(net, "bob");
  const other = net.client();
  net.run();
  const drop = dropFirst("error");
  net.wire = drop.wire;
  net.send(other, { type: "join", room: "lobby", name: "BOB" });
  net.advance(5000);
  assert.equal(drop.dropped(), 1);
  const errors = other.events.filter((e) => e.type === "error");
  assert.equal(errors.length, 1, JSON.stringify(other.events));
  assert.equal(errors[0]!.type === "error" && errors[0]!.code, "NAME_TAKEN");
  // An answer that was only slow (not lost) to a JOIN sent again: shown once.
  net.wire = () => 1;
  net.send(other, { type: "join", room: "lobby", name: "carol" });
  net.advance(5000);
  assert.deepEqual(
    other.events.filter((e) => e.type === "welcome").length,
    1,
  );
});

Deno.test("udp answers: a lost ACK and LEFT after LEAVE: LEAVE sent again ends the session cleanly", () => {
  const net = new Net();
  const amy = member(net, "amy");
  const bob = member(net, "bob");
  amy.events.length = 0;
  const drop = dropFirst("left");
  net.wire = (p, i) => p.client === bob.address ? drop.wire(p, i) : 1;
  let error: unknown = "open";
  bob.client.onClose = (e) => {
    bob.closed = true;
    error = e;
  };
  net.send(bob, { type: "leave" });
  net.advance(3000);
  assert.equal(drop.dropped(), 1);
  assert.equal(bob.closed, true);
  assert.equal(error, undefined, "closed without an error");
  assert.deepEqual(bob.events.at(-1), {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "quit",
  });
  assert.deepEqual(amy.events, [{
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "quit",
  }]);
});

Deno.test("udp answers: an acknowledged LEAVE ends the session even if its LEFT never comes", () => {
  const net = new Net();
  member(net, "amy");
  const bob = member(net, "bob");
  // Every server datagram to bob from now on has its events cut off.
  net.wire = (p) => {
    if (p.client !== bob.address || p.toServer) return 1;
    bob.client.receive(p.bytes.subarray(0, 26 + 14));
    return 0;
  };
  let error: unknown = "open";
  bob.client.onClose = (e) => {
    bob.closed = true;
    error = e;
  };
  net.send(bob, { type: "leave" });
  net.run();
  assert.equal(bob.closed, true);
  assert.equal(error, undefined);
});

Deno.test("udp answers: BAD_TOKEN after LEAVE (a server that forgot the session) is a clean leave", () => {
  const net = new Net();
  member(net, "amy");
  const bob = member(net, "bob");
  // An older server: the answer to LEAVE is lost, and the LEAVE sent again
  // finds the token forgotten.
  net.wire = (p) => (p.client === bob.address && !p.toServer ? 0 : 1);
  let error: unknown = "open";
  bob.client.onClose = (e) => {
    bob.closed = true;
    error = e;
  };
  net.send(bob, { type: "leave" });
  net.run();
  assert.equal(bob.closed, false);
  bob.client.receive(encodeFrame({
    type: "error",
    code: "BAD_TOKEN",
    message: "Cannot accept datagram: no session has this token",
    fatal: true,
  }));
  assert.equal(bob.closed, true);
  assert.equal(error, undefined);
  assert.equal(bob.events.length, 0);
});

Deno.test("udp answers: BAD_TOKEN before any LEAVE is the fatal error it says", () => {
  const net = new Net();
  const bob = member(net, "bob");
  let error: unknown = "open";
  bob.client.onClose = (e) => {
    bob.closed = true;
    error = e;
  };
  bob.client.receive(encodeFrame({
    type: "error",
    code: "BAD_TOKEN",
    message: "Cannot accept datagram: no session has this token",
    fatal: true,
  }));
  assert.equal(bob.closed, true);
  assert.equal((error as ChatEvent & { type: "error" }).code, "BAD_TOKEN");
});
