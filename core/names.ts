/**
 * Naming rules for members and rooms: small pure functions, one reason per
 * forbidden class of character. Member names are compared by {@link nameKey}:
 * case-folded and reduced to their Unicode TS #39 confusable skeleton, so
 * that names that look alike are one name.
 *
 * @module
 */

import { foldName, nameKey } from "./names/key.ts";
import { mixedScripts } from "./names/scripts.ts";
import { ANNOUNCEMENT_MARK } from "./text/render.ts";

export { CONFUSABLES_VERSION } from "./names/confusables.ts";
export { foldName, nameKey } from "./names/key.ts";
export { skeleton } from "./names/skeleton.ts";

/** Default longest member name, in Unicode code points after NFKC. */
export const DEFAULT_MAX_NAME_LENGTH = 32;
/** Longest room name, in Unicode code points after NFKC. */
export const MAX_ROOM_LENGTH = 64;

/** Names nobody may take, compared by {@link nameKey}. */
export const RESERVED_NAMES: readonly string[] = [
  "admin",
  "管理员",
  // The traditional form of 管理员: TS #39 does not map 員 to 员.
  "管理員",
  "server",
  "system",
];

/** A name that passed the rules, or the reason it did not. */
export type NameCheck =
  | {
    readonly ok: true;
    /** What others see: NFKC-normalised and trimmed. */
    readonly name: string;
    /** The uniqueness key, {@link nameKey} of the name. */
    readonly key: string;
  }
  | {
    readonly ok: false;
    readonly code: "NAME_INVALID" | "NAME_RESERVED" | "ROOM_INVALID";
    readonly message: string;
    /**
     * Set when a name is refused only because it mixes scripts: its display
     * form and key. Such a name looks like the member who holds that key, so
     * a chat answers `NAME_TAKEN` when the key is taken in the room, and this
     * refusal otherwise.
     */
    readonly lookalike?: { readonly name: string; readonly key: string };
  };

// Cc: control characters (NUL, ESC, DEL...) can rewrite a terminal.
// Cf: format characters (zero-width joiners, bidi overrides) make two names
//     look alike or reorder the text around them.
// Zl, Zp: line and paragraph separators would break one-line renderings.
// Cs: lone surrogates are not text and cannot be encoded as UTF-8.
// Co, Cn: private-use and unassigned code points render as nothing useful.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;
// Any space but U+0020 (tabs, ideographic and other wide spaces survive NFKC
// only as look-alikes of a plain space).
const ODD_SPACE = /[^\S ]/u;
// Room names are single words: `/join ROOM` splits on spaces.
const ANY_SPACE = /\s/u;
// Default-ignorable letters and marks render as nothing, so a name could
// hide one to pass for another: the combining grapheme joiner U+034F, the
// Hangul fillers U+115F, U+1160, U+3164 (NFKC makes it U+1160) and U+FFA0,
// the Khmer inherent vowels U+17B4, U+17B5. (The other default-ignorables
// are format characters, refused above.) Variation selectors are let
// through: emoji and ideographs need them, and they are removed before
// names are compared.
// U+2800 BRAILLE PATTERN BLANK is a symbol drawn as an empty cell: it passes
// for a space, or for nothing at the end of a name.
const INVISIBLE =
  /(?!\p{Variation_Selector})\p{Default_Ignorable_Code_Point}|\u2800/u;
// A combining mark at the start has no letter to sit on: it draws over
// whatever a client prints before the name.
const LEADING_MARK = /^\p{M}/u;
// What shows: anything but spaces, marks and the characters above.
const VISIBLE = /[^\s\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u;
let reservedKeys: Set<string> | undefined;
let markKey: string | undefined;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function hex(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Check a member name against the rules: NFKC-normalised and trimmed, 1 to
 * `maxLength` code points, no control, format, line-break or invisible
 * characters, something visible, not starting with `/`, `*` or a combining
 * mark, not reserved (compared by {@link nameKey}), and no word mixing
 * Latin, Greek and Cyrillic letters.
 *
 * @param raw The name as typed.
 * @param maxLength Longest allowed name in code points.
 * @returns The display form and uniqueness key, or a coded refusal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ok = checkName(" Ｂｏｂ ");
 * assert.equal(ok.ok && ok.name, "Bob");
 * assert.equal(checkName("ADMIN").ok, false);
 * assert.equal(checkName("аdmin").ok, false); // Cyrillic а
 * ```
 */
export function checkName(
  raw: string,
  maxLength: number = DEFAULT_MAX_NAME_LENGTH,
): NameCheck {
  const name = raw.normalize("NFKC").trim();
  const length = codePoints(name);
  if (length === 0) {
    return invalid("NAME_INVALID", "Cannot use name: it is empty");
  }
  if (length > maxLength) {
    return invalid(
      "NAME_INVALID",
      `Cannot use name: it is ${length} characters long, the limit is ${maxLength}`,
    );
  }
  if (FORBIDDEN.test(name)) {
    return invalid(
      "NAME_INVALID",
      "Cannot use name: it contains control, format or line-break characters",
    );
  }
  if (ODD_SPACE.test(name)) {
    return invalid(
      "NAME_INVALID",
      "Cannot use name: the only space allowed is a plain space",
    );
  }
  const hidden = INVISIBLE.exec(name);
  if (hidden) {
    return invalid(
      "NAME_INVALID",
      `Cannot use name: it contains ${hex(hidden[0])}, which shows as nothing`,
    );
  }
  const mark = LEADING_MARK.exec(name);
  if (mark) {
    return invalid(
      "NAME_INVALID",
      `Cannot use name: it starts with the combining mark ${hex(mark[0])}`,
    );
  }
  if (!VISIBLE.test(name)) {
    return invalid("NAME_INVALID", "Cannot use name: it shows nothing");
  }
  // Text-mode clients treat a line starting with "/" as a command.
  if (name.startsWith("/")) {
    return invalid("NAME_INVALID", 'Cannot use name: it starts with "/"');
  }
  const key = nameKey(name);
  // Announcements start with "***" in every client; a member line starts
  // with the member's name, so no name may start with "*" or a look-alike.
  markKey ??= nameKey(ANNOUNCEMENT_MARK.slice(0, 1));
  if (key.startsWith(markKey)) {
    return invalid(
      "NAME_INVALID",
      `Cannot use name: it starts with "${
        ANNOUNCEMENT_MARK.slice(0, 1)
      }" (or a look-alike), which marks announcements`,
    );
  }
  reservedKeys ??= new Set(RESERVED_NAMES.map(nameKey));
  if (reservedKeys.has(key)) {
    return invalid(
      "NAME_RESERVED",
      `Cannot use name "${name}": it is reserved`,
    );
  }
  const mixed = mixedScripts(name);
  if (mixed) {
    return {
      ok: false,
      code: "NAME_INVALID",
      message: `Cannot use name "${name}": it mixes ${mixed[0]} and ${
        mixed[1]
      } letters in one word, which can make it look like another name`,
      lookalike: { name, key },
    };
  }
  return { ok: true, name, key };
}

/**
 * Check a room name: NFKC-normalised and trimmed, 1 to 64 code points, no
 * spaces, control, format or line-break characters. Rooms are
 * case-insensitive: the returned `name` is the folded form, so `Lobby` and
 * `lobby` are one room.
 *
 * @param raw The room as typed.
 * @returns The canonical room name (in both `name` and `key`), or a refusal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkRoom("Lobby"), { ok: true, name: "lobby", key: "lobby" });
 * assert.equal(checkRoom("two words").ok, false);
 * ```
 */
export function checkRoom(raw: string): NameCheck {
  const trimmed = raw.normalize("NFKC").trim();
  const key = foldName(trimmed);
  // Counted on the canonical (folded) form: that is the name others see.
  const length = codePoints(key);
  if (length === 0) {
    return invalid("ROOM_INVALID", "Cannot use room: it is empty");
  }
  if (length > MAX_ROOM_LENGTH) {
    return invalid(
      "ROOM_INVALID",
      `Cannot use room: it is ${length} characters long, the limit is ${MAX_ROOM_LENGTH}`,
    );
  }
  if (FORBIDDEN.test(trimmed) || ANY_SPACE.test(trimmed)) {
    return invalid(
      "ROOM_INVALID",
      "Cannot use room: it contains spaces, control, format or line-break characters",
    );
  }
  return { ok: true, name: key, key };
}

function invalid(
  code: "NAME_INVALID" | "NAME_RESERVED" | "ROOM_INVALID",
  message: string,
): NameCheck {
  return { ok: false, code, message };
}
