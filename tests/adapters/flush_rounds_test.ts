// Flush rounds: every connection queued before a round is flushed once, in
// order, right after the events that queued it; one queued during a round
// waits for the next. A busy server's rounds wait for a timer tick: after a
// long round, and, for the dense rounds of HTTP, when rounds come back to
// back.

import assert from "node:assert/strict";
import {
  FlushRounds,
  settled,
  streamRounds,
} from "../../adapters/flush_rounds.ts";

Deno.test("stream: a flush round flushes each queued connection once, in order; later ones go in the next round", async () => {
  const flushed: string[] = [];
  const c = (name: string, then?: () => void) => ({
    flush() {
      flushed.push(name);
      then?.();
    },
  });
  const late = c("late");
  streamRounds.schedule(c("a", () => streamRounds.schedule(late)));
  streamRounds.schedule(c("b"));
  assert.deepEqual(flushed, [], "nothing is written synchronously");
  await Promise.resolve();
  assert.deepEqual(flushed, ["a", "b"]);
  // The next round: a microtask, or a timer tick after a busy round.
  await settled();
  assert.deepEqual(flushed, ["a", "b", "late"]);
});

/**
 * Whether the round after one that took `took` ms, `gap` ms after the one
 * before it, runs as a microtask (false) or waits for a timer tick (true).
 */
async function waitsAfter(
  rounds: FlushRounds,
  clock: { t: number },
  gap: number,
  took: number,
): Promise<boolean> {
  clock.t += gap;
  rounds.schedule({ flush: () => void (clock.t += took) });
  await rounds.settled();
  let ran = false;
  rounds.schedule({ flush: () => void (ran = true) });
  await Promise.resolve();
  await Promise.resolve();
  const waited = !ran;
  await rounds.settled();
  return waited;
}

Deno.test("flush rounds: rounds over 1 ms on average make the next wait for a timer tick, one slow round among quick ones does not; dense rounds also wait when rounds come back to back", async () => {
  const clock = { t: 1000 };
  const now = () => clock.t;
  const plain = new FlushRounds({ now });
  assert.equal(await waitsAfter(plain, clock, 100, 0.2), false);
  assert.equal(await waitsAfter(plain, clock, 0, 0.2), false);
  // A slow round among quick ones (preempted, a collection): no wait.
  assert.equal(await waitsAfter(plain, clock, 100, 3), false);
  assert.equal(await waitsAfter(plain, clock, 100, 0.5), false);
  // Slow rounds one after another: the server is busy.
  const slow: boolean[] = [];
  for (let i = 0; i < 8; i++) slow.push(await waitsAfter(plain, clock, 0, 4));
  assert.equal(slow[0], false);
  assert.equal(slow.at(-1), true);
  // ... and stays so through a quick round, until quick ones prevail.
  assert.equal(await waitsAfter(plain, clock, 0, 0.2), true);
  const quick: boolean[] = [];
  for (let i = 0; i < 12; i++) {
    quick.push(await waitsAfter(plain, clock, 100, 0.2));
  }
  assert.equal(quick.at(-1), false);
  const dense = new FlushRounds({ dense: true, now });
  // The first round has no round before it.
  assert.equal(await waitsAfter(dense, clock, 0, 0.2), false);
  // 0.1 ms after the last one ended, a round of 0.2 ms: back to back.
  assert.equal(await waitsAfter(dense, clock, 0.1, 0.2), true);
  // 5 ms after: the server has time between rounds.
  assert.equal(await waitsAfter(dense, clock, 5, 0.2), false);
  assert.equal(await waitsAfter(dense, clock, 5, 1.5), false);
});
