import assert from "node:assert/strict";
import {
  checkName,
  checkRoom,
  DEFAULT_MAX_NAME_LENGTH,
  foldName,
  MAX_ROOM_LENGTH,
  RESERVED_NAMES,
} from "../../core/names.ts";

type Expect =
  | { name: string; key: string }
  | "NAME_INVALID"
  | "NAME_RESERVED"
  | "ROOM_INVALID";

const NAMES: [string, string, Expect][] = [
  // [what, raw, expected]
  ["ascii", "bob", { name: "bob", key: "bob" }],
  ["mixed case keeps display, folds key", "Bob", { name: "Bob", key: "bob" }],
  ["CJK", "张三", { name: "张三", key: "张三" }],
  ["CJK reserved", "管理员", "NAME_RESERVED"],
  ["CJK reserved with spaces around", " 管理员 ", "NAME_RESERVED"],
  ["full-width becomes ASCII", "Ｂｏｂ", { name: "Bob", key: "bob" }],
  ["full-width trimmed", " Ｂｏｂ ", { name: "Bob", key: "bob" }],
  ["ß folds to ss", "Straße", { name: "Straße", key: "strasse" }],
  ["STRASSE", "STRASSE", { name: "STRASSE", key: "strasse" }],
  ["admin", "admin", "NAME_RESERVED"],
  ["ADMIN", "ADMIN", "NAME_RESERVED"],
  ["Admin", "Admin", "NAME_RESERVED"],
  ["full-width admin", "ａｄｍｉｎ", "NAME_RESERVED"],
  ["full-width ADMIN", "ＡＤＭＩＮ", "NAME_RESERVED"],
  ["server", "Server", "NAME_RESERVED"],
  ["system", "SYSTEM", "NAME_RESERVED"],
  ["long s system", "ſystem", "NAME_RESERVED"],
  ["admin with a suffix is fine", "admin2", { name: "admin2", key: "admin2" }],
  ["inner plain space", "bob smith", { name: "bob smith", key: "bob smith" }],
  ["ideographic space becomes a plain space", "张\u3000三", {
    name: "张 三",
    key: "张 三",
  }],
  ["NUL", "bo\x00b", "NAME_INVALID"],
  ["ESC", "bob\x1b[31m", "NAME_INVALID"],
  ["DEL", "bob\x7f", "NAME_INVALID"],
  ["C1 control", "bob\x85x", "NAME_INVALID"],
  ["inner tab", "bob\tsmith", "NAME_INVALID"],
  ["inner newline", "bob\nsmith", "NAME_INVALID"],
  ["inner CR", "bob\rsmith", "NAME_INVALID"],
  ["zero-width joiner", "bo\u200db", "NAME_INVALID"],
  ["zero-width space", "bo\u200bb", "NAME_INVALID"],
  ["zero-width joiner hides admin", "ad\u200dmin", "NAME_INVALID"],
  ["bidi override", "\u202ebob", "NAME_INVALID"],
  ["bidi isolate", "bob\u2066x", "NAME_INVALID"],
  ["inner byte order mark", "bo\ufeffb", "NAME_INVALID"],
  ["leading byte order mark is trimmed", "\ufeffbob", {
    name: "bob",
    key: "bob",
  }],
  ["soft hyphen", "bo\u00adb", "NAME_INVALID"],
  ["line separator", "bob\u2028x", "NAME_INVALID"],
  ["paragraph separator", "bob\u2029x", "NAME_INVALID"],
  ["lone surrogate", "bob\ud800", "NAME_INVALID"],
  ["private use", "bob\ue000", "NAME_INVALID"],
  ["leading slash", "/quit", "NAME_INVALID"],
  ["leading slash after trimming", "  /me", "NAME_INVALID"],
  ["full-width slash", "／quit", "NAME_INVALID"],
  ["inner slash is fine", "a/b", { name: "a/b", key: "a/b" }],
  ["empty", "", "NAME_INVALID"],
  ["spaces only", "   ", "NAME_INVALID"],
  ["whitespace only", " \t\n ", "NAME_INVALID"],
  ["ideographic spaces only", "\u3000\u3000", "NAME_INVALID"],
  ["trimmed", "  bob  ", { name: "bob", key: "bob" }],
  ["trimmed tabs and newlines at the ends", "\tbob\n", {
    name: "bob",
    key: "bob",
  }],
  ["32 ASCII", "a".repeat(32), { name: "a".repeat(32), key: "a".repeat(32) }],
  ["33 ASCII", "a".repeat(33), "NAME_INVALID"],
  ["32 CJK (96 bytes)", "张".repeat(32), {
    name: "张".repeat(32),
    key: "张".repeat(32),
  }],
  ["33 CJK", "张".repeat(33), "NAME_INVALID"],
  ["32 astral code points (64 UTF-16 units)", "😀".repeat(32), {
    name: "😀".repeat(32),
    key: "😀".repeat(32),
  }],
  ["33 astral code points", "😀".repeat(33), "NAME_INVALID"],
  ["32 after trimming", ` ${"a".repeat(32)} `, {
    name: "a".repeat(32),
    key: "a".repeat(32),
  }],
];

function simplify(check: ReturnType<typeof checkName>): Expect {
  return check.ok ? { name: check.name, key: check.key } : check.code;
}

Deno.test("names: checkName table", () => {
  for (const [what, raw, expected] of NAMES) {
    const got = checkName(raw);
    assert.deepEqual(simplify(got), expected, what);
    if (!got.ok) assert.match(got.message, /^Cannot use name/, what);
  }
});

Deno.test("names: maxLength is counted in code points", () => {
  assert.equal(DEFAULT_MAX_NAME_LENGTH, 32);
  assert.equal(checkName("abcd", 4).ok, true);
  assert.equal(checkName("abcde", 4).ok, false);
  assert.equal(checkName("张三李四", 4).ok, true);
  assert.equal(checkName("😀😀😀😀", 4).ok, true);
  assert.deepEqual(simplify(checkName("😀😀😀😀😀", 4)), "NAME_INVALID");
});

Deno.test("names: every reserved name is refused in any case and width", () => {
  for (const reserved of RESERVED_NAMES) {
    for (
      const variant of [
        reserved,
        reserved.toUpperCase(),
        ` ${reserved} `,
        reserved.replace(
          /[a-z]/g,
          (c) => String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41),
        ),
      ]
    ) {
      assert.deepEqual(simplify(checkName(variant)), "NAME_RESERVED", variant);
    }
  }
});

Deno.test("names: foldName", () => {
  assert.equal(foldName("Straße"), foldName("STRASSE"));
  assert.equal(foldName("Ｂｏｂ"), "bob");
  assert.equal(foldName("ΟΔΟΣ"), foldName("οδος"));
  assert.equal(foldName("张三"), "张三");
  assert.equal(foldName("ﬁ"), "fi"); // NFKC ligature
  // Folding is stable.
  for (const s of ["Straße", "ΣΑΣ", "Ｂｏｂ", "İstanbul", "ǅ"]) {
    assert.equal(foldName(foldName(s)), foldName(s), s);
  }
});

const ROOMS: [string, string, Expect][] = [
  ["lower", "lobby", { name: "lobby", key: "lobby" }],
  ["Lobby is lobby", "Lobby", { name: "lobby", key: "lobby" }],
  ["LOBBY is lobby", "LOBBY", { name: "lobby", key: "lobby" }],
  ["full-width", "Ｌｏｂｂｙ", { name: "lobby", key: "lobby" }],
  ["trimmed", "  lobby ", { name: "lobby", key: "lobby" }],
  ["CJK", "大厅", { name: "大厅", key: "大厅" }],
  ["punctuation", "rust-lang#1", { name: "rust-lang#1", key: "rust-lang#1" }],
  ["inner space", "two words", "ROOM_INVALID"],
  ["inner tab", "two\twords", "ROOM_INVALID"],
  ["inner ideographic space", "大\u3000厅", "ROOM_INVALID"],
  ["no-break space", "two\u00a0words", "ROOM_INVALID"],
  ["empty", "", "ROOM_INVALID"],
  ["whitespace only", " \t ", "ROOM_INVALID"],
  ["control", "lob\x1bby", "ROOM_INVALID"],
  ["zero-width joiner", "lob\u200dby", "ROOM_INVALID"],
  ["bidi override", "\u202elobby", "ROOM_INVALID"],
  ["line separator", "lob\u2028by", "ROOM_INVALID"],
  ["64 code points", "r".repeat(MAX_ROOM_LENGTH), {
    name: "r".repeat(64),
    key: "r".repeat(64),
  }],
  ["65 code points", "r".repeat(MAX_ROOM_LENGTH + 1), "ROOM_INVALID"],
  ["64 CJK", "厅".repeat(64), { name: "厅".repeat(64), key: "厅".repeat(64) }],
];

Deno.test("names: checkRoom table", () => {
  for (const [what, raw, expected] of ROOMS) {
    const got = checkRoom(raw);
    assert.deepEqual(simplify(got), expected, what);
    if (!got.ok) assert.match(got.message, /^Cannot use room/, what);
  }
});
