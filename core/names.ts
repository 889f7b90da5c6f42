/**
 * Naming rules for members and rooms: small pure functions, one reason per
 * forbidden class of character.
 *
 * @module
 */

/** Default longest member name, in Unicode code points after NFKC. */
export const DEFAULT_MAX_NAME_LENGTH = 32;
/** Longest room name, in Unicode code points after NFKC. */
export const MAX_ROOM_LENGTH = 64;

/** Names nobody may take, compared by their folded form. */
export const RESERVED_NAMES: readonly string[] = [
  "admin",
  "管理员",
  "server",
  "system",
];

/** A name that passed the rules, or the reason it did not. */
export type NameCheck =
  | {
    readonly ok: true;
    /** What others see: NFKC-normalised and trimmed. */
    readonly name: string;
    /** The uniqueness key: the case-folded NFKC form. */
    readonly key: string;
  }
  | {
    readonly ok: false;
    readonly code: "NAME_INVALID" | "NAME_RESERVED" | "ROOM_INVALID";
    readonly message: string;
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

/**
 * Fold a string for case-insensitive comparison: NFKC, then a full case fold
 * (upper then lower case maps `ß` to `ss` and final sigma to sigma), then
 * NFKC again so that the folded form is stable.
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

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Check a member name against the rules: NFKC-normalised and trimmed, 1 to
 * `maxLength` code points, no control, format or line-break characters, not
 * starting with `/`, and not reserved in any case.
 *
 * @param raw The name as typed.
 * @param maxLength Longest allowed name in code points.
 * @returns The display form and uniqueness key, or a coded refusal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ok = checkName(" Ｂｏｂ ");
 * assert.deepEqual(ok, { ok: true, name: "Bob", key: "bob" });
 * assert.equal(checkName("ADMIN").ok, false);
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
  // Text-mode clients treat a line starting with "/" as a command.
  if (name.startsWith("/")) {
    return invalid("NAME_INVALID", 'Cannot use name: it starts with "/"');
  }
  const key = foldName(name);
  if (RESERVED_NAMES.includes(key)) {
    return invalid(
      "NAME_RESERVED",
      `Cannot use name "${name}": it is reserved`,
    );
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
