/**
 * The mixed-script rule of member names: Latin, Greek and Cyrillic share
 * look-alike letters (`a`/`а`/`α`, `o`/`о`/`ο`, `B`/`В`/`Β`), so one word may
 * use letters of only one of them.
 *
 * @module
 */

// By the Unicode Script property. Digits, punctuation and combining marks
// are Common or Inherited and go with any script; so do the scripts not
// listed (Han with Hiragana and Katakana in Japanese, Hangul, Arabic...).
const LOOKALIKE_SCRIPTS: readonly (readonly [string, RegExp])[] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
];

/**
 * The first two look-alike scripts found together in one word of a name
 * (words are separated by spaces), or `undefined` when every word keeps to
 * one of Latin, Greek and Cyrillic.
 *
 * @param name A name.
 * @returns Two script names, in the order Latin, Greek, Cyrillic, or
 *   `undefined`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(mixedScripts("bоb"), ["Latin", "Cyrillic"]); // Cyrillic о
 * assert.equal(mixedScripts("Ivan Иванов"), undefined); // two words
 * assert.equal(mixedScripts("山田たろう"), undefined);
 * ```
 */
export function mixedScripts(
  name: string,
): readonly [string, string] | undefined {
  for (const word of name.split(" ")) {
    let found: string | undefined;
    for (const [script, letters] of LOOKALIKE_SCRIPTS) {
      if (!letters.test(word)) continue;
      if (found !== undefined) return [found, script];
      found = script;
    }
  }
  return undefined;
}
