// core/batch.ts: several events as one message, shared by every member that
// sends the very same events (compared by identity), parts of a batch too.

import assert from "node:assert/strict";
import { BATCH_SLOTS, batchFrames, batchJson } from "../../core/batch.ts";
import { decodeFrames } from "../../core/codec/mod.ts";
import { Outgoing } from "../../core/peer.ts";

const say = (text: string) =>
  new Outgoing({ type: "message", room: "lobby", from: "amy", text });

Deno.test("batch: frames back to back, decoded as the events; JSON as an array of the events", () => {
  const outs = [say("a"), say("b"), new Outgoing({ type: "pong", nonce: 3 })];
  assert.deepEqual(
    decodeFrames(batchFrames(outs)),
    outs.map((o) => o.event),
  );
  assert.deepEqual(JSON.parse(batchJson(outs)), outs.map((o) => o.event));
  assert.equal(batchFrames(outs, 1, 2), outs[1]!.binary());
  assert.deepEqual(JSON.parse(batchJson(outs, 1, 3)), [
    outs[1]!.event,
    outs[2]!.event,
  ]);
  assert.equal(batchJson(outs, 0, 0), "[]");
});

Deno.test("batch: the same events give the same buffer and string, another list of them included; other events do not", () => {
  const outs = [say("a"), say("b"), say("c")];
  const bytes = batchFrames(outs);
  const text = batchJson(outs);
  assert.equal(batchFrames([...outs]), bytes); // another member's list
  assert.equal(batchJson([...outs]), text);
  // Equal content but other objects: encoded again.
  const again = outs.map((o) => say((o.event as { text: string }).text));
  assert.notEqual(batchFrames(again), bytes);
  assert.deepEqual(batchFrames(again), bytes);
  // A part of a batch is kept as itself.
  const part = batchFrames(outs, 1, 3);
  assert.equal(batchFrames([outs[1]!, outs[2]!]), part);
});

Deno.test("batch: the last BATCH_SLOTS batches are kept, so a turn sent in parts is shared part by part", () => {
  const outs = Array.from({ length: 2 * BATCH_SLOTS }, (_, i) => say(`${i}`));
  const parts = Array.from(
    { length: BATCH_SLOTS },
    (_, i) => batchFrames(outs, 2 * i, 2 * i + 2),
  );
  for (let i = 0; i < BATCH_SLOTS; i++) {
    assert.equal(batchFrames(outs, 2 * i, 2 * i + 2), parts[i]);
  }
  batchFrames(outs, 0, 3); // one more: the oldest goes
  assert.notEqual(batchFrames(outs, 0, 2), parts[0]);
});
