// Rooms' histories across isolates (adapters/isolates/history.ts): every
// isolate's copy holds what was said on any of them, once, at the time its
// sender kept it; an announcement to every room goes into each room with
// members anywhere; a room's history goes with its last member everywhere;
// an isolate that starts later takes a copy from one that runs.

import assert from "node:assert/strict";
import type { IsolateBackplane } from "../../../adapters/isolates/mod.ts";
import type { Chat } from "../../../core/chat.ts";
import type { HistoryEntry } from "../../../core/history.ts";
import { Group } from "./_isolates.ts";
import { join, texts, until } from "./_members.ts";

/** The rooms an isolate's copy knows to have members. */
function roomsKnown(chat: Chat): number {
  return ((chat.backplane as IsolateBackplane).history as unknown as {
    size: number;
  }).size;
}

/** Wait (bounded) until a copy knows `n` rooms. */
async function knows(chat: Chat, n: number): Promise<void> {
  for (let i = 0; i < 500 && roomsKnown(chat) !== n; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(roomsKnown(chat), n);
}

/** Entries as text and time. */
async function entries(chat: Chat, room: string): Promise<string[]> {
  const list: readonly HistoryEntry[] = await chat.history(room);
  return list.map((e) => `${e.time} ${e.event.text}`);
}

Deno.test("isolates history: a late joiner on another isolate gets what was said on the first, once, at the same times", async () => {
  const g = await Group.make();
  try {
    const limits = { historyLength: 3 };
    // Each isolate's clock says another time of day: entries keep their
    // sender's.
    let t = 1_000_000;
    const a = await g.chat(10_000, limits, () => t += 1000);
    const b = await g.chat(10_000, limits, () => 5_000_000);
    const amy = await join(a, "amy");
    const kim = await join(b, "kim", 0, "kitchen");
    await knows(a, 2);
    for (let i = 1; i <= 5; i++) {
      amy.session.handle({ type: "say", text: `line ${i}` });
    }
    // To every room: the kitchen has members on the other isolate only.
    assert.equal(a.announce("to all").ok, true);
    await until(kim.peer, (e) => texts(e).includes("to all"));
    const bob = await join(b, "bob", 3);
    assert.deepEqual(texts(bob.history), ["line 4", "line 5", "to all"]);
    // One history: the same entries at the same times on both isolates.
    const lobby = await entries(a, "lobby");
    assert.deepEqual(lobby, [
      "1004000 line 4",
      "1005000 line 5",
      "1006000 to all",
    ]);
    assert.deepEqual(await entries(b, "lobby"), lobby);
    assert.deepEqual(
      bob.history.map((e) => `${e.time} ${texts([e])[0]}`),
      lobby,
    );
    assert.deepEqual(texts((await a.history("kitchen")).map((e) => e.event)), [
      "to all",
    ]);
    assert.deepEqual(await entries(a, "kitchen"), await entries(b, "kitchen"));
    // To one room, said on the other isolate.
    assert.equal(b.announce("lobby only", "lobby").ok, true);
    await until(amy.peer, (e) => texts(e).includes("lobby only"));
    assert.deepEqual(texts((await a.history("lobby")).map((e) => e.event)), [
      "line 5",
      "to all",
      "lobby only",
    ]);
    assert.deepEqual(await entries(a, "kitchen"), await entries(b, "kitchen"));
    // The kitchen's last member leaves: its history goes, everywhere.
    kim.session.handle({ type: "leave" });
    await knows(a, 1);
    await knows(b, 1);
    assert.deepEqual(await a.history("kitchen"), []);
    const kai = await join(a, "kai", 0, "kitchen");
    assert.deepEqual(kai.history, []);
  } finally {
    await g.close();
  }
});

Deno.test("isolates history: an isolate that starts later takes a copy from one that runs", async () => {
  const g = await Group.make();
  try {
    const limits = { historyLength: 4 };
    const a = await g.chat(10_000, limits);
    const amy = await join(a, "amy");
    await join(a, "ann", 0, "attic");
    for (const text of ["one", "two", "three"]) {
      amy.session.handle({ type: "say", text });
    }
    a.announce("all rooms");
    const c = await g.chat(10_000, limits);
    assert.ok(
      g.logs.some((r) => r.state === "history_copied" && r.rooms === 2),
      JSON.stringify(g.logs),
    );
    assert.deepEqual(await entries(c, "lobby"), await entries(a, "lobby"));
    assert.deepEqual(await entries(c, "attic"), await entries(a, "attic"));
    // And it keeps in step from there.
    amy.session.handle({ type: "say", text: "four" });
    const cat = await join(c, "cat", 4);
    assert.deepEqual(texts(cat.history), ["two", "three", "all rooms", "four"]);
    assert.deepEqual(await entries(c, "lobby"), await entries(a, "lobby"));
  } finally {
    await g.close();
  }
});

Deno.test("isolates history: with --history 0 no isolate keeps anything", async () => {
  const g = await Group.make();
  try {
    const a = await g.chat(10_000, { historyLength: 0 });
    const b = await g.chat(10_000, { historyLength: 0 });
    const amy = await join(a, "amy");
    amy.session.handle({ type: "say", text: "gone" });
    const bob = await join(b, "bob");
    await until(amy.peer, (e) => e.some((x) => x.type === "joined"));
    assert.deepEqual(bob.history, []);
    assert.equal(roomsKnown(a), 0);
    assert.equal(roomsKnown(b), 0);
  } finally {
    await g.close();
  }
});
