// Announcements (core/announce.ts).

import assert from "node:assert/strict";
import { clear, member, setup } from "./_chat.ts";

Deno.test("chat: announce to every room or to one room", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat", "other");
  clear(amy, bob, cat);

  assert.deepEqual(chat.announce("restart at 5"), {
    ok: true,
    rooms: 2,
    delivered: 3,
  });
  const all = { type: "announcement", room: null, text: "restart at 5" };
  for (const c of [amy, bob, cat]) assert.deepEqual(c.peer.take(), [all]);
  assert.equal(amy.peer.sent.length, 0);

  assert.deepEqual(chat.announce("just you", "Other"), {
    ok: true,
    rooms: 1,
    delivered: 1,
  });
  assert.deepEqual(cat.peer.take(), [
    { type: "announcement", room: "other", text: "just you" },
  ]);
  assert.deepEqual(amy.peer.take(), []);

  assert.deepEqual(chat.announce("nobody", "empty"), {
    ok: true,
    rooms: 0,
    delivered: 0,
  });

  for (
    const [text, room, code] of [
      ["", undefined, "MESSAGE_EMPTY"],
      ["  ", undefined, "MESSAGE_EMPTY"],
      ["x".repeat(4097), undefined, "MESSAGE_TOO_LONG"],
      ["中".repeat(1366), "lobby", "MESSAGE_TOO_LONG"],
      ["x", "two words", "ROOM_INVALID"],
      ["x", "", "ROOM_INVALID"],
    ] as const
  ) {
    const r = chat.announce(text, room);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.code, code);
  }
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(cat.peer.take(), []);
  assert.equal(chat.stats.announcements, 3);
});
