// Flush rounds: every connection queued before a round is flushed once, in
// order, right after the events that queued it; one queued during a round
// waits for the next.

import assert from "node:assert/strict";
import { scheduleFlush } from "../../adapters/flush_rounds.ts";

Deno.test("stream: a flush round flushes each queued connection once, in order; later ones go in the next round", async () => {
  const flushed: string[] = [];
  const c = (name: string, then?: () => void) => ({
    flush() {
      flushed.push(name);
      then?.();
    },
  });
  const late = c("late");
  scheduleFlush(c("a", () => scheduleFlush(late)));
  scheduleFlush(c("b"));
  assert.deepEqual(flushed, [], "nothing is written synchronously");
  await Promise.resolve();
  assert.deepEqual(flushed, ["a", "b"]);
  // The next round: a microtask, or a timer tick after a busy round.
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(flushed, ["a", "b", "late"]);
});
