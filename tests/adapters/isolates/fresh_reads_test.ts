// Shared reads of the shared store (adapters/isolates/fresh_reads.ts): no
// caller gets an answer read before it asked.

import assert from "node:assert/strict";
import { FreshReads } from "../../../adapters/isolates/fresh_reads.ts";

/** A read that answers with its number once `finish()` is called. */
function gatedReads() {
  let started = 0;
  const finishers: ((n: number) => void)[] = [];
  return {
    get started() {
      return started;
    },
    read: () => {
      const n = ++started;
      return new Promise<number>((resolve) => finishers.push(() => resolve(n)));
    },
    finish: () => finishers.shift()!(0),
  };
}

Deno.test("fresh reads: callers during a read share the next one, which starts after it", async () => {
  const shared = new FreshReads<number>();
  const g = gatedReads();
  const first = shared.read("lobby", g.read);
  assert.equal(g.started, 1);
  const during = [1, 2, 3].map(() => shared.read("lobby", g.read));
  // Not started while the first runs: it would not see what changed after.
  assert.equal(g.started, 1);
  g.finish();
  assert.equal(await first, 1);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(g.started, 2);
  // A caller during the second read waits for a third.
  const later = shared.read("lobby", g.read);
  g.finish();
  assert.deepEqual(await Promise.all(during), [2, 2, 2]);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(g.started, 3);
  g.finish();
  assert.equal(await later, 3);
  // Nothing running: a read starts at once.
  const alone = shared.read("lobby", g.read);
  assert.equal(g.started, 4);
  g.finish();
  assert.equal(await alone, 4);
});

Deno.test("fresh reads: keys are apart, and a failed read fails its callers only", async () => {
  const shared = new FreshReads<string>();
  let n = 0;
  const fails = () => Promise.reject(new Error(`read ${++n} failed`));
  const ok = (v: string) => () => Promise.resolve(v);
  const a = shared.read("a", fails);
  const b = shared.read("b", ok("b"));
  const a2 = shared.read("a", ok("a"));
  await assert.rejects(a, /read 1 failed/);
  assert.equal(await b, "b");
  // The read queued behind a failed one still runs.
  assert.equal(await a2, "a");
});
