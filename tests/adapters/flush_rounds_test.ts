// Flush rounds: every connection queued before a round is flushed once, in
// order, right after the events that queued it; one queued during a round
// waits for the next. A busy server's rounds wait for the next turn of the
// event loop, and for a timer tick once busy for a while or, for the dense
// rounds of HTTP, when rounds come back to back.

import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  FlushRounds,
  type RoundWait,
  settled,
  streamRounds,
  syscallRounds,
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
 * How the round after one that took `took` ms, `gap` ms after the one
 * before it, waits (that round takes `next` ms); checked against what it does: a microtask round runs
 * before the microtasks queued after it, a "turn" round before the
 * immediates queued after it.
 */
async function waitAfter(
  rounds: FlushRounds,
  clock: { t: number },
  gap: number,
  took: number,
  next = took,
): Promise<RoundWait> {
  clock.t += gap;
  rounds.schedule({ flush: () => void (clock.t += took) });
  await rounds.settled();
  const wait = rounds.wait;
  let ran = false;
  rounds.schedule({
    flush() {
      ran = true;
      clock.t += next;
    },
  });
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(ran, wait === "microtask", `a ${wait} round ran as one`);
  if (wait === "turn") {
    await new Promise((r) => setImmediate(r));
    assert.ok(ran, "a turn round runs before an immediate queued after it");
  }
  await rounds.settled();
  return wait;
}

Deno.test("flush rounds: rounds over 1 ms on average make the next wait a turn, then a timer tick once busy for 20 ms; one slow round among quick ones does not; dense rounds also wait a tick when rounds come back to back", async () => {
  const clock = { t: 1000 };
  const now = () => clock.t;
  const plain = new FlushRounds({ now });
  assert.equal(await waitAfter(plain, clock, 100, 0.2), "microtask");
  assert.equal(await waitAfter(plain, clock, 0, 0.2), "microtask");
  // A slow round among quick ones (preempted, a collection): no wait.
  assert.equal(await waitAfter(plain, clock, 100, 3, 0.2), "microtask");
  assert.equal(await waitAfter(plain, clock, 100, 0.5), "microtask");
  // Slow rounds one after another: the server is busy; the next round waits
  // a turn, and a tick once it has been busy for 20 ms.
  const slow: RoundWait[] = [];
  for (let i = 0; i < 10; i++) slow.push(await waitAfter(plain, clock, 0, 4));
  assert.equal(slow[0], "microtask");
  const firstTurn = slow.indexOf("turn");
  const firstTick = slow.indexOf("tick");
  assert.ok(firstTurn > 0, `busy after a few slow rounds: ${slow}`);
  // Two rounds of 4 ms a call: 20 ms busy within three calls.
  assert.ok(
    firstTick > firstTurn && firstTick <= firstTurn + 3,
    `a tick after 20 ms busy: ${slow}`,
  );
  assert.equal(slow.at(-1), "tick");
  // ... and stays so through a quick round, until quick ones prevail.
  assert.equal(await waitAfter(plain, clock, 0, 0.2), "tick");
  const quick: RoundWait[] = [];
  for (let i = 0; i < 12; i++) {
    quick.push(await waitAfter(plain, clock, 100, 0.2));
  }
  assert.equal(quick.at(-1), "microtask");
  // A spell shorter than 20 ms (8 rounds of 2 ms) only ever waits a turn.
  const spell: RoundWait[] = [];
  for (let i = 0; i < 4; i++) spell.push(await waitAfter(plain, clock, 0, 2));
  for (let i = 0; i < 12; i++) {
    spell.push(await waitAfter(plain, clock, 0, 0.2));
  }
  assert.ok(spell.includes("turn"), spell.join());
  assert.ok(!spell.includes("tick"), spell.join());
  const dense = new FlushRounds({ dense: true, now });
  // The first round has no round before it.
  assert.equal(await waitAfter(dense, clock, 0, 0.2), "microtask");
  // 0.1 ms after the last one ended, a round of 0.2 ms: back to back.
  assert.equal(await waitAfter(dense, clock, 0.1, 0.2), "tick");
  // 5 ms after: the server has time between rounds.
  assert.equal(await waitAfter(dense, clock, 5, 0.2), "microtask");
  assert.equal(await waitAfter(dense, clock, 5, 1.5), "microtask");
});

Deno.test("flush rounds: without saturation (writes done inside the round, libc's send) a busy server waits a turn, never a tick", async () => {
  const clock = { t: 1000 };
  const rounds = new FlushRounds({ saturation: false, now: () => clock.t });
  const waits: RoundWait[] = [];
  for (let i = 0; i < 40; i++) waits.push(await waitAfter(rounds, clock, 0, 4));
  assert.equal(waits[0], "microtask");
  assert.ok(!waits.includes("tick"), waits.join());
  assert.equal(waits.at(-1), "turn");
  const quick: RoundWait[] = [];
  for (let i = 0; i < 12; i++) {
    quick.push(await waitAfter(rounds, clock, 100, 0.2));
  }
  assert.equal(quick.at(-1), "microtask");
  // The set that libc-written connections share, and settled() waits for it.
  const flushed: string[] = [];
  syscallRounds.schedule({ flush: () => flushed.push("x") });
  await settled();
  assert.deepEqual(flushed, ["x"]);
});
