// The per-room event history behind Last-Event-ID: ids, bounds per room and
// in total, retain/release, and what a resume gets.

import assert from "node:assert/strict";
import { ReplayBuffer } from "../../../adapters/http/replay_buffer.ts";
import type { RoomEvent } from "../../../core/events.ts";
import { Outgoing } from "../../../core/peer.ts";

const say = (room: string, text: string) =>
  new Outgoing({ type: "message", room, from: "amy", text } as RoomEvent);

Deno.test("replay: only retained rooms are numbered and kept", () => {
  const b = new ReplayBuffer();
  assert.equal(b.record(say("lobby", "lost")), undefined);
  b.retain("lobby");
  const out = say("lobby", "kept");
  assert.equal(b.record(out), 1);
  assert.equal(b.idOf(out.event), 1);
  assert.equal(b.record(say("games", "elsewhere")), undefined);
  assert.deepEqual(b.since("lobby", 0).entries.map((e) => e.id), [1]);
  assert.equal(b.since("lobby", 0).entries[0]!.out, out, "shared, not copied");
  assert.deepEqual(b.since("games", 0), { entries: [], lostUpTo: undefined });
});

Deno.test("replay: an announcement to every room has one id in each", () => {
  const b = new ReplayBuffer();
  b.retain("lobby");
  b.retain("games");
  const all = new Outgoing({ type: "announcement", room: null, text: "hi" });
  assert.equal(b.record(all), 1);
  assert.equal(b.since("lobby", 0).entries[0]!.id, 1);
  assert.equal(b.since("games", 0).entries[0]!.id, 1);
});

Deno.test("replay: the count per room is bounded, and a resume from before it reports the loss", () => {
  const b = new ReplayBuffer({ eventsPerRoom: 3 });
  b.retain("lobby");
  for (let i = 1; i <= 5; i++) b.record(say("lobby", `m${i}`));
  const s = b.since("lobby", 1);
  assert.deepEqual(s.entries.map((e) => e.id), [3, 4, 5]);
  assert.equal(s.lostUpTo, 2);
  assert.equal(b.since("lobby", 2).lostUpTo, undefined);
  assert.deepEqual(b.since("lobby", 4).entries.map((e) => e.id), [5]);
});

Deno.test("replay: the byte budget is shared and the oldest events anywhere go first", () => {
  const size = say("lobby", "x".repeat(100)).json().length;
  const b = new ReplayBuffer({ totalBytes: size * 4 });
  b.retain("lobby");
  b.retain("games");
  b.record(say("lobby", "x".repeat(100))); // 1
  b.record(say("games", "x".repeat(100))); // 2 (same size: "lobby"/"games")
  for (let i = 0; i < 3; i++) b.record(say("lobby", "x".repeat(100))); // 3..5
  assert.ok(b.bytes <= size * 4);
  assert.deepEqual(b.since("lobby", 0).entries.map((e) => e.id), [3, 4, 5]);
  assert.equal(b.since("lobby", 0).lostUpTo, 1);
  assert.deepEqual(b.since("games", 0).entries.map((e) => e.id), [2]);
  b.record(say("lobby", "x".repeat(100))); // 6 pushes out 2
  assert.deepEqual(b.since("games", 0).entries, []);
  assert.equal(b.since("games", 0).lostUpTo, 2);
});

Deno.test("replay: release drops a room's history with its last holder; memory stays bounded", () => {
  const b = new ReplayBuffer({ eventsPerRoom: 10, totalBytes: 1 << 20 });
  b.retain("lobby");
  b.retain("lobby");
  b.record(say("lobby", "a"));
  b.release("lobby");
  assert.equal(b.since("lobby", 0).entries.length, 1);
  b.release("lobby");
  assert.equal(b.rooms, 0);
  assert.equal(b.bytes, 0);
  // A busy room next to a quiet one: the bookkeeping does not grow.
  b.retain("quiet");
  b.retain("busy");
  b.record(say("quiet", "once"));
  for (let i = 0; i < 20_000; i++) b.record(say("busy", `m${i}`));
  assert.equal(b.since("busy", 0).entries.length, 10);
  assert.equal(b.since("quiet", 0).entries.length, 1);
  const size = say("busy", "m19999").json().length;
  assert.ok(b.bytes <= 11 * size, `${b.bytes} bytes held`);
});
