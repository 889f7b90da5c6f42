import assert from "node:assert/strict";
import { DEFAULT_OUTBOUND_BYTES, Outbox } from "../../core/outbox.ts";

Deno.test("outbox: take returns everything queued, in order, as one buffer", () => {
  const box = new Outbox(100);
  assert.equal(box.take(), undefined);
  assert.equal(box.push(new Uint8Array([1, 2, 3])), true);
  assert.equal(box.push(new Uint8Array([4])), true);
  assert.equal(box.push(new Uint8Array([5, 6])), true);
  assert.equal(box.queued, 6);
  assert.equal(box.inFlight, 0);
  assert.deepEqual([...box.take()!], [1, 2, 3, 4, 5, 6]);
  assert.equal(box.queued, 0);
  assert.equal(box.inFlight, 6);
  assert.equal(box.take(), undefined);
});

Deno.test("outbox: a single queued chunk is handed over as is, not copied", () => {
  const box = new Outbox(100);
  const chunk = new Uint8Array([9, 9]);
  box.push(chunk);
  assert.equal(box.take(), chunk);
});

Deno.test("outbox: the limit counts queued plus in-flight bytes", () => {
  const box = new Outbox(8);
  assert.equal(box.push(new Uint8Array(5)), true);
  assert.equal(box.push(new Uint8Array(3)), true); // exactly the limit
  assert.equal(box.push(new Uint8Array(1)), false); // one over
  assert.equal(box.queued, 8); // the refused chunk was not queued
  box.take();
  assert.equal(box.push(new Uint8Array(1)), false); // 8 in flight
  box.written();
  assert.equal(box.inFlight, 0);
  assert.equal(box.push(new Uint8Array(8)), true);
  assert.equal(box.push(new Uint8Array(0)), true); // empty always fits
});

Deno.test("outbox: a chunk bigger than the limit is refused even when empty", () => {
  const box = new Outbox(4);
  assert.equal(box.push(new Uint8Array(5)), false);
  assert.equal(box.queued, 0);
  assert.equal(box.take(), undefined);
});

Deno.test("outbox: written after a take, with more queued meanwhile", () => {
  const box = new Outbox(10);
  box.push(new Uint8Array(4));
  box.take(); // 4 in flight
  box.push(new Uint8Array([7, 8])); // queued during the write
  assert.equal(box.push(new Uint8Array(5)), false); // 4 + 2 + 5 > 10
  box.written();
  assert.equal(box.inFlight, 0);
  assert.equal(box.queued, 2);
  assert.deepEqual([...box.take()!], [7, 8]);
});

Deno.test("outbox: clear drops everything", () => {
  const box = new Outbox(10);
  box.push(new Uint8Array(4));
  box.take();
  box.push(new Uint8Array(4));
  box.clear();
  assert.equal(box.queued, 0);
  assert.equal(box.inFlight, 0);
  assert.equal(box.take(), undefined);
  assert.equal(box.push(new Uint8Array(10)), true);
});

Deno.test("outbox: default limit is 1 MiB", () => {
  const box = new Outbox();
  assert.equal(box.limit, DEFAULT_OUTBOUND_BYTES);
  assert.equal(DEFAULT_OUTBOUND_BYTES, 1024 * 1024);
});

Deno.test("outbox: outboxes holding the very same chunks share one joined buffer", () => {
  const a = new Uint8Array([1, 2]), b = new Uint8Array([3]);
  const c = new Uint8Array([9]);
  const boxes = [new Outbox(100), new Outbox(100), new Outbox(100)];
  for (const box of boxes) {
    box.push(a);
    box.push(b);
  }
  const first = boxes[0]!.take()!;
  assert.deepEqual([...first], [1, 2, 3]);
  assert.equal(boxes[1]!.take(), first); // same chunks: the same bytes, shared
  // Different chunks (or the same ones in another order) get their own buffer.
  const other = new Outbox(100);
  other.push(b);
  other.push(a);
  assert.deepEqual([...other.take()!], [3, 1, 2]);
  const longer = new Outbox(100);
  longer.push(a);
  longer.push(b);
  longer.push(c);
  assert.deepEqual([...longer.take()!], [1, 2, 3, 9]);
  // Equal contents in different chunk objects are not mistaken for shared.
  const copy = new Outbox(100);
  copy.push(new Uint8Array([1, 2]));
  copy.push(new Uint8Array([3]));
  const own = copy.take()!;
  assert.deepEqual([...own], [1, 2, 3]);
  assert.notEqual(own, first);
  // The third box still sees its own chunks, in order.
  assert.deepEqual([...boxes[2]!.take()!], [1, 2, 3]);
  assert.equal(boxes[2]!.inFlight, 3);
});

Deno.test("outbox: a busy outbox keeps its slots; a quiet one gives them back on trim", () => {
  const box = new Outbox(1 << 20);
  const chunk = new Uint8Array([1]);
  const burst = () => {
    for (let i = 0; i < 100; i++) box.push(chunk);
    assert.equal(box.take()!.length, 100);
    box.written();
  };
  burst();
  const slots = box.slots;
  assert.ok(slots >= 100);
  box.trim(); // pushed since the last trim: busy, kept
  burst();
  assert.equal(box.slots, slots, "the same slots are reused, not regrown");
  box.trim();
  assert.equal(box.slots, slots);
  box.trim(); // nothing pushed since the last trim: quiet, given back
  assert.ok(box.slots <= 16);
  burst(); // and it still works
  assert.equal(box.queued, 0);
});

Deno.test("outbox: something queued is never trimmed away", () => {
  const box = new Outbox(1 << 20);
  for (let i = 0; i < 100; i++) box.push(new Uint8Array([i]));
  box.trim();
  box.trim();
  const bytes = box.take()!;
  assert.equal(bytes.length, 100);
  assert.equal(bytes[99], 99);
});
