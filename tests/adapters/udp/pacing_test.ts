// The UDP adapter takes client datagrams in at the pace of its output: a
// real `cli.ts serve` with a small send queue (--udp-send-queue), a room of
// 200 UDP members on real sockets and senders that send in bursts, which
// overflowed the queue when every datagram was handled on arrival. Also the
// intake's bounds, on a real socket pair.

import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { DatagramAddress } from "../../../core/datagram/address.ts";
import { Intake } from "../../../adapters/udp/intake.ts";
import { SendQueue } from "../../../adapters/udp/send_queue.ts";
import { Proc } from "../../_process.ts";
import { UdpTestClient } from "../_udp.ts";

const MEMBERS = 200;
const SENDERS = 4;
/** Per sender, one SAY per datagram: within the 32 a client may have unacknowledged. */
const BURST = 25;

Deno.test("udp pacing: 200 members, bursts from 4 senders, a 64 KiB send queue: every message arrives, no gap", async () => {
  const proc = Proc.cli("serve", [
    "serve",
    "--transport",
    "udp",
    "--port",
    "0",
    "--rate",
    "0",
    "--udp-rate",
    "0",
    "--udp-send-queue",
    "65536",
    // Fewer client datagrams may wait than the burst sends: those beyond
    // are dropped unacknowledged and sent again, and still nothing is lost.
    "--udp-intake",
    "64",
  ]);
  const clients: UdpTestClient[] = [];
  try {
    const url =
      (await proc.expect(/listen transport=udp url=(\S+)/, "stderr"))[1]!;
    for (let i = 0; i < MEMBERS; i++) {
      const c = await UdpTestClient.connect(url);
      clients.push(c);
      c.send({ type: "join", room: "lobby", name: `m${i}` });
      for (;;) if ((await c.next()).type === "welcome") break;
    }
    const senders = clients.slice(0, SENDERS);
    // Each SAY in a datagram of its own (the client sends on a microtask),
    // all senders at once: 100 datagrams that each fan out to 199 members.
    for (let n = 0; n < BURST; n++) {
      for (const [s, c] of senders.entries()) {
        c.send({ type: "say", text: `s${s} n${n}` });
      }
      await Promise.resolve();
    }
    const total = SENDERS * BURST;
    await Promise.all(clients.map(async (c, i) => {
      const expected = i < SENDERS ? total - BURST : total;
      const next = new Map<number, number>();
      let got = 0;
      while (got < expected) {
        const e = await c.next(10_000);
        if (e.type !== "message") continue;
        const [, s, n] = /^s(\d+) n(\d+)$/.exec(e.text)!.map(Number);
        assert.equal(n, next.get(s!) ?? 0, `member ${i}: from s${s} in order`);
        next.set(s!, n! + 1);
        got++;
      }
    }));
    assert.deepEqual(
      clients.map((c) => c.lost).filter((n) => n > 0),
      [],
      "server events lost by some members",
    );
    assert.doesNotMatch(proc.stderr, /udp_send_dropped/);
  } finally {
    for (const c of clients) await c.close();
    await proc.stop();
  }
});

Deno.test("udp pacing: client datagrams wait while the socket is busy, within their bounds, and are taken in as the queue drains", async () => {
  const server = dgram.createSocket("udp4");
  const peer = dgram.createSocket("udp4");
  try {
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
    const to: DatagramAddress = {
      address: "127.0.0.1",
      port: peer.address().port,
    };
    const out = new SendQueue(server, 64 * 1024);
    const handed: number[] = [];
    const rounds: number[] = [];
    let deliveries = 0;
    let drops = 0;
    const intake = new Intake({
      // Each datagram handed over makes 8 deliveries, 1 KiB each.
      receive: (bytes) => {
        handed.push(bytes[0]!);
        for (let i = 0; i < 8; i++) out.push(new Uint8Array(1024), to);
        deliveries += 8;
      },
      deliveries: () => deliveries,
      budgetBytes: out.max / 2,
      maxDatagrams: 8,
      maxBytes: 1000,
      onDrop: () => drops++,
    });
    out.hook = {
      before: () => {
        const n = intake.take();
        if (n > 0) rounds.push(n);
      },
      after: () => intake.settle(out.pushedBytes),
    };
    const settled = async () => {
      while (intake.held > 0 || out.busy) await out.drained();
    };
    // Idle: handed over at once.
    intake.offer(new Uint8Array([0]), to, !out.busy);
    assert.deepEqual(handed, [0]);
    assert.ok(out.busy);
    // Busy: held, up to 8 datagrams; the byte bound refuses a large one.
    for (let i = 1; i <= 10; i++) {
      intake.offer(new Uint8Array(100).fill(i), to, !out.busy);
    }
    intake.offer(new Uint8Array(1000), to, !out.busy);
    assert.equal(intake.held, 8);
    assert.equal(intake.heldBytes, 800);
    assert.equal(intake.dropped, 3);
    assert.equal(drops, 1, "one log per spell of drops");
    // The first round goes by a guess (128 bytes per delivery): all 8.
    await settled();
    assert.deepEqual(handed, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(rounds, [8]);
    assert.equal(intake.perDelivery, 1024);
    // Measured: rounds of 32 KiB (half the queue) are 4 datagrams.
    intake.offer(new Uint8Array([9]), to, !out.busy);
    for (let i = 10; i < 18; i++) {
      intake.offer(new Uint8Array([i]), to, !out.busy);
    }
    await settled();
    assert.deepEqual(rounds, [8, 4, 4]);
    assert.equal(handed.length, 18);
    assert.equal(out.dropped, 0);
    // Past the bound the send queue drops, and counts.
    for (let i = 0; i < 100; i++) out.push(new Uint8Array(1024), to);
    assert.equal(out.dropped, 100 - 1 - 64, "one in flight, 64 KiB queued");
    await out.drained();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => peer.close(() => r()));
  }
});

Deno.test("udp send queue: a send the socket refuses is counted and reported once, and the next datagrams still go out", async () => {
  const server = dgram.createSocket("udp4");
  const peer = dgram.createSocket("udp4");
  try {
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
    const got: number[] = [];
    const arrived = new Promise<void>((resolve) =>
      peer.on("message", (m: Uint8Array) => {
        got.push(m[0]!);
        if (got.length === 2) resolve();
      })
    );
    const to: DatagramAddress = {
      address: "127.0.0.1",
      port: peer.address().port,
    };
    const out = new SendQueue(server, 1 << 20);
    const errors: string[] = [];
    out.onSendError = (e) => errors.push(e.message);
    out.push(new Uint8Array([1]), to);
    // Over 64 KiB: no UDP datagram can carry it (EMSGSIZE), twice.
    out.push(new Uint8Array(70_000), to);
    out.push(new Uint8Array(70_000), to);
    out.push(new Uint8Array([2]), to);
    await out.drained();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      arrived,
      new Promise((_, reject) =>
        timer = setTimeout(() => reject(new Error("datagrams lost")), 5000)
      ),
    ]);
    clearTimeout(timer);
    assert.deepEqual(got, [1, 2]);
    assert.equal(out.failed, 2);
    assert.equal(errors.length, 1, "one report per spell");
    out.quiet();
    out.push(new Uint8Array(70_000), to);
    await out.drained();
    assert.equal(out.failed, 3);
    assert.equal(errors.length, 2, "a new spell is reported again");
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => peer.close(() => r()));
  }
});

Deno.test("udp intake: a flood from one address is held only up to its share, and leaves room for the others", () => {
  const handed: string[] = [];
  const intake = new Intake({
    receive: (_bytes, from) => handed.push(`${from.port}`),
    deliveries: () => 0,
    budgetBytes: 1 << 20,
    maxDatagrams: 100,
    maxPerAddress: 10,
  });
  const flood = { address: "127.0.0.1", port: 1 };
  const member = { address: "127.0.0.1", port: 2 };
  for (let i = 0; i < 1000; i++) {
    intake.offer(new Uint8Array([1]), flood, false);
  }
  intake.offer(new Uint8Array([2]), member, false);
  assert.equal(intake.held, 11);
  assert.equal(intake.dropped, 990);
  intake.take();
  assert.equal(handed.filter((p) => p === "2").length, 1);
  // Once taken, the flooding address has its share again.
  for (let i = 0; i < 20; i++) intake.offer(new Uint8Array([1]), flood, false);
  assert.equal(intake.held, 10);
});
