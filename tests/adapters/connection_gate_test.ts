// The descriptor gate every transport asks (adapters/connection_gate.ts)
// and the cap that follows from the descriptor limit
// (adapters/descriptors.ts).

import assert from "node:assert/strict";
import {
  ConnectionGate,
  GATE_COUNTERS,
  MAX_LINGERING,
  MAX_REFUSING,
} from "../../adapters/connection_gate.ts";
import {
  ASSUMED_OPEN,
  parseDescriptorLimit,
  planConnections,
  readDescriptorLimit,
  SPARE_DESCRIPTORS,
} from "../../adapters/descriptors.ts";

Deno.test("gate: counts descriptors per transport and refuses past the capacity", () => {
  const gate = new ConnectionGate();
  for (let i = 0; i < 1000; i++) assert.equal(gate.open("http"), true);
  assert.equal(gate.inUse, 3000); // no capacity yet: no limit
  gate.capacity = 3002;
  assert.equal(gate.open("tcp"), true);
  assert.equal(gate.open("unix"), true);
  assert.equal(gate.open("tcp"), false);
  assert.equal(gate.open("http"), false);
  assert.equal(gate.inUse, 3002);
  assert.equal(gate.refused, 2);
  gate.close("tcp");
  assert.equal(gate.open("http"), false); // 3001 + 3 > 3002
  assert.equal(gate.open("unix"), true);
  assert.throws(() => gate.capacity = -1, RangeError);
});

Deno.test("gate: isolates sharing counters share the capacity", () => {
  const counters = new Int32Array(new SharedArrayBuffer(4 * GATE_COUNTERS));
  const a = new ConnectionGate({ counters, capacity: 4 });
  const b = new ConnectionGate({ counters });
  assert.equal(a.open("http"), true);
  assert.equal(b.open("tcp"), true);
  assert.equal(b.open("tcp"), false);
  assert.equal(a.inUse, 4);
  assert.equal(a.refused, 1);
});

Deno.test("gate: only a few refusals are written at once", () => {
  const gate = new ConnectionGate({ capacity: 1 });
  for (let i = 0; i < MAX_REFUSING; i++) {
    assert.equal(gate.startRefusal(), true);
  }
  assert.equal(gate.startRefusal(), false);
  gate.endRefusal();
  assert.equal(gate.startRefusal(), true);
});

Deno.test("gate: refusals that linger (HTTP) leave room for those that are one write (streams)", () => {
  const gate = new ConnectionGate({ capacity: 1 });
  for (let i = 0; i < MAX_LINGERING; i++) {
    assert.equal(gate.startRefusal(true), true);
  }
  assert.equal(gate.startRefusal(true), false);
  for (let i = MAX_LINGERING; i < MAX_REFUSING; i++) {
    assert.equal(gate.startRefusal(), true);
  }
  assert.equal(gate.startRefusal(), false);
  gate.endRefusal(true); // 31 refusing, 15 lingering
  assert.equal(gate.startRefusal(), true); // 32
  assert.equal(gate.startRefusal(true), false); // 32 refusing already
  gate.endRefusal();
  assert.equal(gate.startRefusal(true), true); // 32 again, 16 lingering
  assert.equal(gate.startRefusal(true), false);
});

Deno.test("descriptors: the limit is read with prlimit, and leaves room for what is open", async () => {
  assert.deepEqual(parseDescriptorLimit({ out: "1024 524288\n" }), {
    soft: 1024,
    hard: 524288,
  });
  assert.deepEqual(parseDescriptorLimit({ out: "unlimited unlimited\n" }), {
    soft: Number.MAX_SAFE_INTEGER,
    hard: Number.MAX_SAFE_INTEGER,
  });
  assert.equal(parseDescriptorLimit({ out: "prlimit: bad pid\n" }), undefined);
  const plan = planConnections({ soft: 1024, hard: 1024 }, 40);
  assert.equal(plan.reserved, 40 + SPARE_DESCRIPTORS);
  assert.equal(plan.capacity, 1024 - 40 - SPARE_DESCRIPTORS);
  assert.equal(plan.streams, plan.capacity);
  assert.equal(plan.http, Math.floor(plan.capacity / 3));
  assert.equal(
    planConnections({ soft: 1024, hard: 1024 }).reserved,
    ASSUMED_OPEN + SPARE_DESCRIPTORS,
  );
  // Nothing left still lets one descriptor in; unlimited stays in range.
  assert.equal(planConnections({ soft: 50, hard: 50 }, 40).capacity, 1);
  assert.equal(
    planConnections({ soft: Number.MAX_SAFE_INTEGER, hard: 0 }, 40).capacity,
    2 ** 30,
  );
  // This process may run prlimit (-A): it reads its own limit.
  const own = await readDescriptorLimit();
  assert.ok(!("reason" in own), JSON.stringify(own));
  assert.ok(own.soft > 0 && own.soft <= own.hard);
});

Deno.test({
  name:
    "descriptors: without --allow-run=prlimit the limit is unknown, with a reason",
  permissions: { run: false },
  async fn() {
    const { readDescriptorLimit: read } = await import(
      "../../adapters/descriptors.ts?no-run"
    );
    assert.deepEqual(await read(), {
      reason: "no permission to run prlimit (--allow-run=prlimit)",
    });
  },
});
