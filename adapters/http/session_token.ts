/**
 * Session tokens that any isolate can check, for HTTP sessions when several
 * isolates serve one chat (`deno serve --parallel`, `serve --workers`): the
 * token names the isolate that holds the session (its _home_, by its node
 * tag, as resume tokens do: core/hand_off.ts), carries an expiry, and is signed with a key every isolate derives from the admin
 * token they share. An isolate refuses a forged or expired token itself
 * (401), and hands a genuine one it does not hold to its home
 * (adapters/http/forward.ts).
 *
 * Format: `HOME.RANDOM.EXPIRES.MAC`: the home isolate's node tag, 16
 * random bytes (base64url), the expiry in seconds since the epoch (base
 * 36), and the first 16 bytes of HMAC-SHA256 over `HOME.RANDOM.EXPIRES`
 * with the key HMAC-SHA256(admin token, "roomcast session tokens v1")
 * (base64url).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { HttpProblem } from "./problem.ts";

/** How long a session token is good for, in ms (the session may end sooner). */
export const SESSION_TOKEN_TTL_MS = 24 * 3600_000;

/**
 * Where a session token's session is: on this isolate (or unknown to it,
 * when there is one isolate), on another (`home`), or nowhere because the
 * token is not one the isolates signed, or has expired.
 */
export type TokenPlace = "here" | "forged" | "expired" | {
  readonly home: string;
};

/**
 * Where a token's session is. Without signed tokens (one isolate) every
 * token is looked up here.
 *
 * @param tokens This isolate's tokens, with several isolates.
 * @param token A session token.
 * @returns Its place.
 */
export function locateToken(
  tokens: SessionTokens | undefined,
  token: string,
): TokenPlace {
  if (tokens === undefined) return "here";
  const check = tokens.check(token);
  if (!check.ok) return check.why;
  return check.home === tokens.home ? "here" : { home: check.home };
}

/** What a token check found. */
export type TokenCheck =
  | { readonly ok: true; readonly home: string }
  | { readonly ok: false; readonly why: "forged" | "expired" };

const SHAPE =
  /^([0-9a-z]{1,64})\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/;

/**
 * Makes and checks the signed tokens of one isolate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = new SessionTokens({ adminToken: "a-long-admin-token", home: "aa" });
 * const b = new SessionTokens({ adminToken: "a-long-admin-token", home: "bb" });
 * const token = a.mint();
 * assert.deepEqual(b.check(token), { ok: true, home: "aa" });
 * const last = token.at(-1) === "A" ? "B" : "A";
 * assert.deepEqual(b.check(token.slice(0, -1) + last), { ok: false, why: "forged" });
 * ```
 */
export class SessionTokens {
  /** This isolate's id, the home of the tokens it makes. */
  readonly home: string;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /**
   * @param options The shared admin token, this isolate's id, the lifetime
   *   and the clock (ms since the epoch).
   */
  constructor(options: {
    adminToken: string;
    home: string;
    ttlMs?: number;
    now?: () => number;
  }) {
    this.home = options.home;
    this.#key = createHmac("sha256", options.adminToken)
      .update("roomcast session tokens v1").digest();
    this.#ttlMs = options.ttlMs ?? SESSION_TOKEN_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** A new token, held by this isolate. */
  mint(): string {
    const random = randomBytes(16).toString("base64url");
    const expires = Math.ceil((this.#now() + this.#ttlMs) / 1000)
      .toString(36);
    const body = `${this.home}.${random}.${expires}`;
    return `${body}.${this.#mac(body).toString("base64url")}`;
  }

  /** Check a token's signature and expiry; say whose it is. */
  check(token: string): TokenCheck {
    const m = SHAPE.exec(token);
    if (m === null) return { ok: false, why: "forged" };
    const [, home, random, expires, mac] = m;
    const body = `${home}.${random}.${expires}`;
    // Compared as text: base64url's last character has unused bits, so
    // several strings decode to the same bytes.
    const given = Buffer.from(mac!);
    const wanted = Buffer.from(this.#mac(body).toString("base64url"));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return { ok: false, why: "forged" };
    }
    if (parseInt(expires!, 36) * 1000 <= this.#now()) {
      return { ok: false, why: "expired" };
    }
    return { ok: true, home: home! };
  }

  #mac(body: string): Buffer {
    return createHmac("sha256", this.#key).update(body).digest()
      .subarray(0, 16);
  }
}

/**
 * The 401 for a session token that is not one the isolates signed, or
 * that has expired.
 *
 * @param why What is wrong with it.
 * @returns The problem.
 */
export function badToken(why: "forged" | "expired"): HttpProblem {
  return new HttpProblem(
    401,
    "BAD_TOKEN",
    why === "expired"
      ? "Cannot use session token: it has expired"
      : "Cannot use session token: it is not one this server made",
    { "www-authenticate": 'Bearer realm="roomcast", error="invalid_token"' },
  );
}
