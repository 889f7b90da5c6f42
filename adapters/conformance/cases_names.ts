/**
 * Conformance cases: the naming rules (docs/protocol.md, 8): display names
 * normalised and trimmed, names unique per room whatever their case or
 * width, rooms folded to one canonical name, and what is refused.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ErrorCodeName } from "../../core/errors.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent } from "./harness.ts";

/** The naming cases. */
export const NAME_CASES: readonly ConformanceCase[] = [
  {
    name:
      "a display name is NFKC and trimmed; taken whatever its case or width",
    spec: [
      {
        section: "8",
        says: "The display name is NFKC of the name, trimmed.",
      },
      {
        section: "8",
        says:
          "Uniqueness: within one room (on every node of a cluster), no two members may have names with the same key",
      },
      { section: "8", says: "The same name may be used in different rooms." },
    ],
    async fn(h) {
      const c = await h.hello();
      c.send({ type: "join", room: h.room(), name: "  Ｂｏｂ " });
      await expectEvent(c, {
        type: "welcome",
        room: h.room(),
        name: "Bob",
        members: ["Bob"],
        total: 1,
      });
      const other = await h.hello();
      for (const name of ["bob", "BOB", "ｂｏｂ"]) {
        other.send({ type: "join", room: h.room(), name });
        await h.expectError(other, "NAME_TAKEN", false);
      }
      other.send({ type: "join", room: h.room("elsewhere"), name: "bob" });
      assert.equal((await other.next()).type, "welcome");
    },
  },
  {
    name: "a room is known by its folded name",
    spec: [{
      section: "8",
      says:
        "the room's **canonical name is its folded form**, so `Lobby`, `LOBBY` and `lobby` are one room",
    }],
    async fn(h) {
      const room = h.room("kit");
      const amy = await h.hello();
      amy.send({ type: "join", room: room.toUpperCase(), name: "amy" });
      const w = await amy.next();
      assert.equal(w.type, "welcome", JSON.stringify(w));
      if (w.type === "welcome") assert.equal(w.room, room);
      const bob = await h.hello();
      bob.send({ type: "join", room: `Ｋ${room.slice(1)}`, name: "bob" });
      const w2 = await bob.next();
      assert.equal(w2.type === "welcome" && w2.room, room);
      await expectEvent(amy, { type: "joined", room, name: "bob" });
    },
  },
  {
    name: "names and rooms that break the rules are refused",
    spec: [
      {
        section: "8",
        says: "It must be 1 to 32 code points long",
      },
      { section: "8", says: "It must not start with `/`" },
      {
        section: "8",
        says:
          "Its key must not be the key of `admin`, `管理员`, `管理員`, `server` or `system`",
      },
      {
        section: "8",
        says: "No whitespace at all (not even U+0020: a room is one word)",
      },
    ],
    async fn(h) {
      const c = await h.hello();
      const refused: [string, string, ErrorCodeName][] = [
        [h.room(), "   ", "NAME_INVALID"],
        [h.room(), "x".repeat(33), "NAME_INVALID"],
        [h.room(), "amy\tlee", "NAME_INVALID"],
        [h.room(), "/amy", "NAME_INVALID"],
        [h.room(), "a\u0007b", "NAME_INVALID"],
        [h.room(), "a\u200db", "NAME_INVALID"],
        [h.room(), "ＡＤＭＩＮ", "NAME_RESERVED"],
        [h.room(), "管理员", "NAME_RESERVED"],
        [h.room(), "System", "NAME_RESERVED"],
        ["two words", "amy", "ROOM_INVALID"],
        ["", "amy", "ROOM_INVALID"],
        ["r".repeat(65), "amy", "ROOM_INVALID"],
      ];
      for (const [room, name, code] of refused) {
        c.send({ type: "join", room, name });
        const e = await c.next();
        assert.ok(
          e.type === "error" && e.code === code && !e.fatal,
          `JOIN ${JSON.stringify(room)} ${
            JSON.stringify(name)
          }: expected ${code}, got ${JSON.stringify(e)}`,
        );
      }
      // 32 code points, one of them outside the BMP: fine.
      const longest = "😀" + "x".repeat(31);
      c.send({ type: "join", room: h.room(), name: longest });
      const w = await c.next();
      assert.equal(w.type === "welcome" && w.name, longest);
    },
  },
];
