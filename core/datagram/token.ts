/**
 * Session tokens of the datagram transport (UDP): 16 bytes on the wire, 32
 * lowercase hex digits in frames and logs. Conversions both ways, and a
 * comparison in constant time. core/datagram/frames.ts re-exports them.
 *
 * @module
 */

/** Bytes in a session token. */
export const TOKEN_BYTES = 16;

/**
 * The 16 bytes of a token given as 32 lowercase hex digits.
 *
 * @throws {RangeError} When it is not 32 lowercase hex digits.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(tokenBytes("00".repeat(15) + "ff")[15], 255);
 * ```
 */
export function tokenBytes(token: string): Uint8Array {
  const out = new Uint8Array(TOKEN_BYTES);
  putHexToken(out, 0, token);
  return out;
}

/**
 * Write a token's 16 bytes, given as its 32 lowercase hex digits, into `b`
 * at `at` (no regular expression, no string slices).
 *
 * @throws {RangeError} When it is not 32 lowercase hex digits.
 */
export function putHexToken(b: Uint8Array, at: number, token: string): void {
  if (token.length === TOKEN_BYTES * 2) {
    let bad = 0;
    for (let i = 0; i < TOKEN_BYTES; i++) {
      const hi = nibble(token.charCodeAt(2 * i));
      const lo = nibble(token.charCodeAt(2 * i + 1));
      bad |= hi | lo;
      b[at + i] = (hi << 4) | lo;
    }
    if ((bad & 0x10) === 0) return;
  }
  throw new RangeError(
    `Cannot encode token: expected 32 lowercase hex digits, got ${token.length} characters`,
  );
}

/** The value of a lowercase hex digit, or 0x10 (bit 4 set) for any other. */
function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return 0x10;
}

/**
 * A token's 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(tokenToHex(new Uint8Array(16).fill(0xab)), "ab".repeat(16));
 * ```
 */
export function tokenToHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX_PAIRS[bytes[i]!];
  return s;
}

/** The two hex digits of each byte value. */
const HEX_PAIRS: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => b.toString(16).padStart(2, "0"),
);

/**
 * Compare two tokens in time that depends only on their length, never on
 * where they first differ (so a forger learns nothing from timing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sameToken("ab".repeat(16), "ab".repeat(16)), true);
 * assert.equal(sameToken("ab".repeat(16), "ab".repeat(15) + "ac"), false);
 * ```
 */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
