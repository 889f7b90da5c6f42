// The Redis backplane's envelope and the local ledger, without Redis.

import assert from "node:assert/strict";
import { Ledger } from "../../../adapters/redis/ledger.ts";
import {
  envelopeHead,
  open,
  redact,
  seal,
} from "../../../adapters/redis/wire.ts";
import { encodeFrame } from "../../../core/codec/mod.ts";

Deno.test("redis envelope: version, node id, then the frame as members get it", () => {
  const frame = encodeFrame({
    type: "message",
    room: "lobby",
    from: "bob",
    text: "hi",
  });
  const head = envelopeHead("n1");
  const env = seal(head, frame);
  assert.deepEqual([...env.subarray(0, 4)], [1, 2, 0x6e, 0x31]);
  assert.deepEqual(new Uint8Array(env.subarray(4)), frame);
  // Another node gets the frame; the publisher skips its own echo.
  assert.deepEqual(open(env, envelopeHead("n2")), frame);
  assert.equal(open(env, head), null);
  // A node id that is a prefix of another is not mistaken for it.
  assert.deepEqual(open(seal(envelopeHead("n10"), frame), head), frame);
});

Deno.test("redis envelope: malformed envelopes are named, not thrown", () => {
  const head = envelopeHead("n1");
  assert.equal(open(new Uint8Array([]), head), "unknown envelope version");
  assert.equal(open(new Uint8Array([2, 0]), head), "unknown envelope version");
  assert.equal(open(new Uint8Array([1, 9, 0x41]), head), "truncated envelope");
  assert.throws(() => envelopeHead(""), RangeError);
  assert.throws(() => envelopeHead("a\nb"), RangeError);
  assert.throws(() => envelopeHead("x".repeat(256)), RangeError);
});

Deno.test("redis: URLs are logged without their password", () => {
  assert.equal(redact("redis://:s3cret@db:6379/0"), "redis://:***@db:6379/0");
  assert.equal(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  assert.equal(redact("not a url"), "not a url");
});

Deno.test("redis ledger: local uniqueness, announced joins, unheard leaves", () => {
  const ledger = new Ledger();
  const bob = ledger.add("lobby", "bob", "Bob")!;
  assert.equal(ledger.add("lobby", "bob", "BOB"), undefined);
  ledger.add("other", "bob", "bob");
  assert.deepEqual(ledger.rooms(), [
    { room: "lobby", members: 1 },
    { room: "other", members: 1 },
  ]);

  // A leave of a member the cluster never heard of is not remembered.
  ledger.release("other", "bob");
  assert.deepEqual(ledger.takeLeaving(), []);

  // An announced member's leave is kept, with its reason, until sent.
  ledger.published("bob", { type: "joined", room: "lobby", name: "Bob" }, true);
  assert.equal(bob.announced, true);
  ledger.release("lobby", "bob");
  const left = {
    type: "left",
    room: "lobby",
    name: "Bob",
    reason: "quit",
  } as const;
  ledger.published("bob", left, false);
  const leaving = ledger.takeLeaving();
  assert.deepEqual(leaving, [{
    room: "lobby",
    key: "bob",
    name: "Bob",
    reason: "quit",
  }]);
  ledger.restoreLeaving(leaving);
  ledger.delivered("bob", left);
  assert.deepEqual(ledger.takeLeaving(), []);
  assert.equal(ledger.size, 0);
  assert.equal(ledger.holds(bob), false);
});
