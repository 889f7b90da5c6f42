/**
 * The keys names are compared by: {@link foldName} for rooms (and as the
 * first step of member names), {@link nameKey} for member names.
 *
 * @module
 */

import { skeleton } from "./skeleton.ts";

// A mark left on a Latin, Greek, Cyrillic or Common character after NFKC is
// one no precomposed letter has (NFKC composed the rest: é, ñ, ệ stay
// letters of their own): bob + U+0301 draws b́ob, a hair from bob, and
// Cyrillic stress marks are optional. Such marks are folded away before
// comparison. Marks of other scripts (Devanagari vowel signs, Arabic
// harakat, Hebrew points) spell the word and are kept.
const LOOSE_MARK =
  /(?<=[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}]\p{M}*)\p{M}/gu;
// A run of spaces looks much like one space: `bob  lee` is `bob lee`.
const SPACES = / {2,}/g;
// Rounds of skeleton-and-fold in nameKey: the key of every single code point
// stops changing within three; the fourth is margin. Deterministic anyway.
const KEY_ROUNDS = 4;

/**
 * Fold a string for case-insensitive comparison: NFKC, then a full case fold
 * (upper then lower case maps `ß` to `ss` and final sigma to sigma), then
 * NFKC again so that the folded form is stable. Room names are compared by
 * it; member names by {@link nameKey}, which starts with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(foldName("Straße"), foldName("STRASSE"));
 * ```
 */
export function foldName(s: string): string {
  return s.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

/**
 * The key member names are compared by: names with the same key are one
 * name in a room, on every node of a cluster. It is {@link foldName} of the
 * name, loose marks removed (a mark NFKC could not compose with its Latin,
 * Greek, Cyrillic or Common letter), runs of spaces made one, in capitals,
 * then the TS #39
 * {@link skeleton} and the fold applied again until nothing changes.
 *
 * So two names that fold alike have one key (`Bob`, `BOB`, `ｂｏｂ`), and
 * so do names that look alike in either case: Cyrillic `bоb` and `ВОВ` are
 * `bob`, `аdmin` is `admin`, `b0b` is `bob`. Starting from capitals is what
 * catches capital look-alikes (Cyrillic `В` looks like `B`, its small `в`
 * like nothing Latin). The price is that a few letters that do not look
 * alike share a key because one case of one looks like the other: `i`, `l`
 * and `1` (a capital `I` is an `l` in many fonts), `o` and `0`, Cyrillic `в`
 * and `ь`, `г` and `у`. The key is for comparing only, never for showing.
 *
 * @param name A name, best its display form (what `checkName` returns).
 * @returns Its key.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(nameKey("BOB"), nameKey("bob"));
 * assert.equal(nameKey("bоb"), nameKey("bob")); // Cyrillic о
 * assert.equal(nameKey("ΑDMIN"), nameKey("admin")); // Greek Α
 * assert.notEqual(nameKey("bob"), nameKey("rob"));
 * ```
 */
export function nameKey(name: string): string {
  let key = foldName(name).replace(LOOSE_MARK, "").replace(SPACES, " ")
    .toUpperCase();
  for (let i = 0; i < KEY_ROUNDS; i++) {
    const next = foldName(skeleton(key));
    if (next === key) break;
    key = next;
  }
  return key;
}
