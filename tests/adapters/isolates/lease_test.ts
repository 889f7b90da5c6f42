// Leases of the isolates backplane (adapters/isolates/lease.ts): an isolate
// that dies (a Worker terminated: no goodbye, no more renewals) has its
// names freed within the lease, and every room it had members in is told
// `node_lost`, once.

import assert from "node:assert/strict";
import { Group, listen } from "./_isolates.ts";

const LEASE_MS = 1000;

Deno.test("isolates lease: a dead isolate's names are freed within the lease, and the room is told node_lost", async () => {
  const g = await Group.make();
  const worker = new Worker(new URL("./_member_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const a = await g.chat(LEASE_MS), b = await g.chat(LEASE_MS);
    const amy = await listen(a, "amy");
    const bob = await listen(b, "bob");
    const ready = new Promise<string>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data.ready);
      worker.onerror = (e) => reject(e);
    });
    worker.postMessage({
      path: g.path,
      channel: g.channel,
      leaseMs: LEASE_MS,
      name: "ghost",
      room: "lobby",
    });
    const ghostId = await ready;
    await amy.until((e) => e.type === "joined" && e.name === "ghost");
    assert.deepEqual([...await a.members("lobby")].sort(), [
      "amy",
      "bob",
      "ghost",
    ]);
    const died = performance.now();
    worker.terminate();
    for (const who of [amy, bob]) {
      await who.until(
        (e) =>
          e.type === "left" && e.name === "ghost" && e.reason === "node_lost",
        4 * LEASE_MS,
      );
    }
    // A renewal every quarter lease, for three quarters of one, and
    // reaping on a renewal tick: freed within the lease (0.9-1.0 s here),
    // with half a lease of margin for a loaded machine's timers.
    const took = performance.now() - died;
    assert.ok(took < 1.5 * LEASE_MS, `node_lost after ${took} ms`);
    await new Promise((r) => setTimeout(r, LEASE_MS / 2));
    for (const who of [amy, bob]) {
      const lost = who.events.filter((e) =>
        e.type === "left" && e.name === "ghost"
      );
      assert.equal(lost.length, 1, "told once");
    }
    assert.deepEqual([...await b.members("lobby")].sort(), ["amy", "bob"]);
    await listen(b, "ghost");
    assert.ok(
      g.logs.some((r) => r.state === "node_lost" && r.isolate === ghostId),
    );
  } finally {
    worker.terminate();
    await g.close();
  }
});
