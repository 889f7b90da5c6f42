import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkName,
  checkRoom,
  CONFUSABLES_VERSION,
  DEFAULT_MAX_NAME_LENGTH,
  foldName,
  MAX_ROOM_LENGTH,
  nameKey,
  RESERVED_NAMES,
  skeleton,
} from "../../core/names.ts";
import { mixedScripts } from "../../core/names/scripts.ts";
import { ANNOUNCEMENT_MARK } from "../../core/text/render.ts";

// In the name table, `key` is a name the result must share its key with
// (keys themselves are skeletons, not for reading).
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
    assert.deepEqual(
      simplify(got),
      typeof expected === "string"
        ? expected
        : { name: expected.name, key: nameKey(expected.key) },
      what,
    );
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

// ---------------------------------------------------------------------------
// Look-alikes: Unicode TS #39 skeletons, mixed scripts, invisible characters.

/** The code of a refusal, or "ok". */
function code(raw: string): string {
  const got = checkName(raw);
  return got.ok ? "ok" : got.code;
}

Deno.test("names: look-alike names share one key (TS #39 skeleton, any case)", () => {
  const same: [string, string, string][] = [
    // [what, a, b]
    ["case", "Bob", "bob"],
    ["full-width", "ｂｏｂ", "bob"],
    ["Cyrillic о (U+043E)", "bоb", "bob"],
    ["Greek ο (U+03BF)", "bοb", "bob"],
    ["all Cyrillic capitals", "ВОВ", "BOB"],
    ["all Greek capitals", "ΒΟΒ", "bob"],
    ["Cyrillic capitals, lower-case Latin", "ВОВ", "bob"],
    ["digit zero", "b0b", "bob"],
    ["capital I is an l", "Ivan", "lvan"],
    ["digit one is an l", "bi11", "bill"],
    ["rn is m", "rnary", "mary"],
    ["Cyrillic р, а, у", "раураl", "paypal"],
    ["Latin alpha (U+0251)", "ɑlice", "alice"],
    ["Greek alpha", "αlice", "alice"],
    ["dotless i", "bılly", "billy"],
    ["long s folds to s", "ſam", "sam"],
    ["ß is ss", "Straße", "STRASSE"],
    ["mathematical bold (NFKC)", "𝐛𝐨𝐛", "bob"],
    ["variation selector folded away", "bob\ufe0f", "bob"],
    ["ideographic variation selector", "张\u{e0100}三", "张三"],
    ["trailing combining acute", "bob\u0301", "bob"],
    ["inner combining acute on b", "b\u0301ob", "bob"],
    ["stacked marks (zalgo)", "b\u0338\u0322o\u0336b", "bob"],
    ["a second acute on ó", "bó\u0301b", "bób"],
    ["two spaces look like one", "bob  lee", "bob lee"],
    ["Cyrillic stress mark", "Ива\u0301н", "Иван"],
  ];
  for (const [what, a, b] of same) {
    assert.equal(nameKey(a), nameKey(b), `${what}: ${a} ~ ${b}`);
  }
  const different: [string, string, string][] = [
    ["another letter", "bob", "rob"],
    ["another name", "amy", "ann"],
    ["precomposed accents stay letters", "José", "Jose"],
    ["Vietnamese tones are letters", "Tâm", "Tám"],
    ["CJK", "张三", "张四"],
    ["Hangul", "김철수", "김철호"],
    ["Cyrillic names", "Иван", "Иона"],
    ["Greek names", "Νίκος", "Νίκη"],
    ["Arabic", "محمد", "أحمد"],
    ["Devanagari vowel signs spell the word", "कुमार", "कमार"],
    ["Hebrew", "דוד", "דן"],
  ];
  for (const [what, a, b] of different) {
    assert.notEqual(nameKey(a), nameKey(b), `${what}: ${a} vs ${b}`);
  }
});

Deno.test("names: keys depend only on the case-folded name (fast-check)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 12 }), (s) => {
      const key = nameKey(s);
      assert.equal(nameKey(foldName(s)), key);
      assert.equal(nameKey(s.toUpperCase()), key);
      assert.equal(nameKey(s.toLowerCase()), key);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("names: reserved names are refused in every look-alike form", () => {
  const reserved = [
    "admin",
    "аdmin", // Cyrillic а
    "αdmin", // Greek α
    "ɑdmin", // Latin alpha
    "admіn", // Ukrainian і
    "ADMIN",
    "АDMIN", // Cyrillic А
    "ΑDMIN", // Greek Α
    "ADMlN", // l for I
    "adm1n",
    "ａｄｍｉｎ",
    "𝐚𝐝𝐦𝐢𝐧",
    "adrnin", // rn for m
    "admin\ufe0f",
    "admin\u0338", // a mark with no precomposed letter
    "sеrver", // Cyrillic е
    "ЅERVER", // Cyrillic Ѕ
    "systеm", // Cyrillic е
    "ſystem",
    "管理员",
    "管理員", // traditional form, reserved explicitly
  ];
  for (const name of reserved) {
    assert.equal(code(name), "NAME_RESERVED", name);
  }
  // A reserved name is only the whole name.
  for (const name of ["admin2", "admins", "管理员小王", "my server"]) {
    assert.equal(code(name), "ok", name);
  }
  // Reserved is answered before mixed scripts: аdmin is not "mixed".
  const got = checkName("аdmin");
  assert.ok(!got.ok);
  assert.match(got.message, /reserved/);
});

Deno.test("names: mixing Latin, Greek and Cyrillic in one word is NAME_INVALID, saying why", () => {
  const mixed: [string, string, string][] = [
    // [name, script, script]
    ["bоb", "Latin", "Cyrillic"], // Cyrillic о
    ["раураl", "Latin", "Cyrillic"], // Cyrillic р а у а, Latin l
    ["Ηello", "Latin", "Greek"], // Greek Η
    ["αpple", "Latin", "Greek"],
    ["Иванov", "Latin", "Cyrillic"],
    ["Ιван", "Greek", "Cyrillic"], // Greek Ι
    ["bob-аlice", "Latin", "Cyrillic"], // one word: no space
  ];
  for (const [name, a, b] of mixed) {
    const got = checkName(name);
    assert.ok(!got.ok, name);
    assert.equal(got.code, "NAME_INVALID", name);
    assert.equal(
      got.message,
      `Cannot use name "${name}": it mixes ${a} and ${b} letters in one word, which can make it look like another name`,
    );
    // The chat answers NAME_TAKEN instead when the look-alike is in use.
    assert.deepEqual(got.lookalike, { name, key: nameKey(name) }, name);
    assert.deepEqual(mixedScripts(name), [a, b], name);
  }
});

Deno.test("names: other scripts, and scripts that go together, stay allowed", () => {
  const allowed: [string, string][] = [
    ["CJK", "张三"],
    ["CJK like a reserved name", "管理者"],
    ["CJK with Latin", "Bob张"],
    ["Japanese kana and kanji", "山田たろう"],
    ["Japanese katakana and kanji", "ヤマダ太郎"],
    ["Korean", "김철수"],
    ["Arabic", "محمد"],
    ["Hebrew", "דוד"],
    ["Cyrillic", "Иван"],
    ["Cyrillic capitals", "ИВАН"],
    ["Greek", "Νίκος"],
    ["Devanagari", "अर्जुन"],
    ["Thai", "สมชาย"],
    ["Georgian", "გიორგი"],
    ["Armenian", "Արամ"],
    ["Latin with digits and punctuation", "bob_2.0"],
    ["Cyrillic with digits and punctuation", "Иван-2"],
    ["Greek with digits", "Νίκος99"],
    ["CJK with digits", "张三123"],
    ["Arabic with digits", "محمد7"],
    ["Latin and Cyrillic in separate words", "Ivan Иванов"],
    ["Latin with an emoji", "bob 😀"],
    ["emoji with its variation selector", "❤️"],
    ["accents", "José Ñúñez"],
    ["Vietnamese", "Nguyễn Văn Tâm"],
  ];
  for (const [what, name] of allowed) {
    const got = checkName(name);
    assert.ok(got.ok, `${what}: ${name}: ${got.ok || got.message}`);
    assert.equal(got.name, name, what);
  }
});

Deno.test("names: invisible letters and marks are refused or folded away", () => {
  const refused: [string, string][] = [
    ["Hangul filler U+3164 (NFKC: U+1160)", "bob\u3164"],
    ["Hangul jungseong filler U+1160", "bob\u1160"],
    ["Hangul choseong filler U+115F", "\u115fbob"],
    ["half-width Hangul filler U+FFA0", "bo\uffa0b"],
    ["braille blank U+2800", "bob\u2800"],
    ["combining grapheme joiner U+034F", "bo\u034fb"],
    ["Khmer inherent vowel U+17B4", "bob\u17b4"],
    ["U+3164 alone", "\u3164"],
    ["U+2800 alone", "\u2800"],
    ["U+2800 between spaces", " \u2800 "],
    ["variation selector alone", "\ufe0f"],
    ["variation selectors only", "\ufe00\ufe01"],
    ["leading combining mark", "\u0301bob"],
    ["combining marks only", "\u0301\u0302"],
  ];
  for (const [what, name] of refused) {
    const got = checkName(name);
    assert.ok(!got.ok, what);
    assert.equal(got.code, "NAME_INVALID", what);
    assert.match(
      got.message,
      /shows as nothing|shows nothing|starts with the combining mark/,
      what,
    );
  }
  assert.equal(
    (checkName("bob\u3164") as { message: string }).message,
    "Cannot use name: it contains U+1160, which shows as nothing",
  );
  // Folded away: shown as given, compared without them.
  for (const name of ["bob\ufe0f", "bob\ufe00", "bob\u{e0100}", "bob\u0301"]) {
    const got = checkName(name);
    assert.ok(got.ok, name);
    assert.equal(got.name, name);
    assert.equal(got.key, nameKey("bob"), name);
  }
});

Deno.test("names: no name starts with the announcement mark or a look-alike", () => {
  assert.equal(ANNOUNCEMENT_MARK, "***");
  for (
    const name of [
      "*",
      "***",
      "*** admin",
      "*bob*",
      " *bob",
      "＊bob", // full-width asterisk (NFKC)
      "﹡bob", // small asterisk (NFKC)
      "∗bob", // asterisk operator
      "⁎bob", // low asterisk
      "٭bob", // Arabic five-pointed star
      "\ufe0f*bob", // an invisible selector first
    ]
  ) {
    const got = checkName(name);
    assert.ok(!got.ok, name);
    assert.equal(got.code, "NAME_INVALID", name);
  }
  assert.equal(
    (checkName("*bob") as { message: string }).message,
    'Cannot use name: it starts with "*" (or a look-alike), which marks announcements',
  );
  for (const name of ["bob*", "b*b", "bob ***"]) assert.equal(code(name), "ok");
});

Deno.test("names: skeleton follows TS #39 on the Unicode data it names", () => {
  assert.match(CONFUSABLES_VERSION, /^\d+\.\d+\.\d+$/);
  // Straight from confusables.txt lines.
  assert.equal(skeleton("\u0430"), "a"); // CYRILLIC SMALL LETTER A
  assert.equal(skeleton("\u03bf"), "o"); // GREEK SMALL LETTER OMICRON
  assert.equal(skeleton("1"), "l");
  assert.equal(skeleton("0"), "O");
  assert.equal(skeleton("m"), "rn");
  assert.equal(skeleton("I"), "l");
  // Default-ignorable code points go first; NFD before and after.
  assert.equal(skeleton("b\u034fo\ufe0fb"), "bob");
  assert.equal(skeleton("é"), "e\u0301");
  // Case matters to a skeleton; the key folds it (nameKey).
  assert.notEqual(skeleton("A"), skeleton("a"));
  // Idempotent, as TS #39 requires.
  for (const s of ["раураl", "𝐛𝐨𝐛", "ΒΟΒ", "张三", "mm"]) {
    assert.equal(skeleton(skeleton(s)), skeleton(s), s);
  }
  // Linear: a long string is one pass.
  const long = "раураl".repeat(20_000);
  assert.equal(skeleton(long), "paypal".repeat(20_000).replaceAll("m", "rn"));
});
