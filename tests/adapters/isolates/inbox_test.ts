// The bus's ordering and recovery (adapters/isolates/inbox.ts and
// resend.ts): a receiver that misses messages (Deno's BroadcastChannel
// drops the oldest for a receiver 256 behind) holds what comes after,
// asks again, and counts what the sender no longer has.

import assert from "node:assert/strict";
import { Inbox, type Wire } from "../../../adapters/isolates/inbox.ts";
import { ResendRing } from "../../../adapters/isolates/resend.ts";

const msg = (s: number): Wire => ({ f: "a", s, k: "m", o: "x", p: s });

function harness() {
  const delivered: number[] = [];
  const asked: [number, number][] = [];
  const lost: number[] = [];
  const inbox = new Inbox({
    deliver: (w) => delivered.push(w.s),
    nack: (_, lo, hi) => asked.push([lo, hi]),
    lost: (_, n) => lost.push(n),
  });
  return { inbox, delivered, asked, lost };
}

Deno.test("inbox: in order, duplicates dropped", () => {
  const { inbox, delivered, asked } = harness();
  for (const s of [5, 6, 6, 7, 5]) inbox.accept(msg(s));
  assert.deepEqual(delivered, [5, 6, 7]);
  assert.deepEqual(asked, []);
  inbox.close();
});

Deno.test("inbox: a gap is held, asked for, and filled by the resent messages", () => {
  const { inbox, delivered, asked, lost } = harness();
  const ring = new ResendRing();
  for (let s = 0; s < 10; s++) ring.keep(msg(s));
  inbox.accept(msg(0));
  inbox.accept(msg(4));
  inbox.accept(msg(5));
  assert.deepEqual(delivered, [0]);
  assert.deepEqual(asked, [[1, 3]]);
  const [part] = ring.resend(1, 3);
  inbox.resent("a", part!.m, part!.from);
  assert.deepEqual(delivered, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(lost, []);
  inbox.close();
});

Deno.test("inbox: what the sender no longer keeps is counted lost and skipped", () => {
  const { inbox, delivered, lost } = harness();
  const ring = new ResendRing();
  for (let s = 0; s < 5000; s++) ring.keep(msg(s)); // keeps the last 4096
  inbox.accept(msg(0));
  inbox.accept(msg(4999));
  const parts = ring.resend(1, 4998);
  for (const p of parts) inbox.resent("a", p.m, p.from);
  assert.deepEqual(lost, [903]); // 1..903 were no longer kept
  assert.equal(delivered.length, 1 + 4096);
  assert.equal(delivered.at(-1), 4999);
  inbox.close();
});

Deno.test("inbox: a gap nobody fills is given up after a few asks", async () => {
  const { inbox, delivered, asked, lost } = harness();
  inbox.accept(msg(0));
  inbox.accept(msg(3));
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(asked.length, 5);
  assert.deepEqual(lost, [2]);
  assert.deepEqual(delivered, [0, 3]);
  inbox.close();
});
