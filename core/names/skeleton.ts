/**
 * The confusable skeleton of Unicode TS #39 (section 4, "Confusable
 * Detection"): two strings that look alike in common fonts have the same
 * skeleton. The data is {@link CONFUSABLES}, generated from Unicode's
 * confusables.txt.
 *
 * @module
 */

import { CONFUSABLES } from "./confusables.ts";

let table: Map<number, string> | undefined;

/** The prototypes by code point, read from the packed data on first use. */
function prototypes(): Map<number, string> {
  if (table !== undefined) return table;
  table = new Map();
  for (const entry of CONFUSABLES.split(/\s+/)) {
    if (entry === "") continue;
    const [source, prototype] = entry.split(":") as [string, string];
    const cps = prototype.split(".").map((h) => parseInt(h, 16));
    table.set(parseInt(source, 16), String.fromCodePoint(...cps));
  }
  return table;
}

// Default_Ignorable_Code_Point: characters that render as nothing. TS #39
// drops them before mapping (since Unicode 15.1).
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The TS #39 skeleton of a string: NFD, default-ignorable code points
 * removed, every character replaced by its confusable prototype, NFD again.
 * One pass over the string; the result is for comparing, never for showing.
 *
 * @param s Any string.
 * @returns Its skeleton.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Cyrillic а and о look like Latin a and o.
 * assert.equal(skeleton("bоb"), skeleton("bob"));
 * assert.equal(skeleton("аdmin"), skeleton("admin"));
 * assert.notEqual(skeleton("bob"), skeleton("bib"));
 * ```
 */
export function skeleton(s: string): string {
  const map = prototypes();
  let out = "";
  for (const ch of s.normalize("NFD").replace(IGNORABLE, "")) {
    out += map.get(ch.codePointAt(0)!) ?? ch;
  }
  return out.normalize("NFD");
}
