/**
 * Where the isolates' shared state lives in Deno KV, under one prefix
 * (`["roomcast"]` by default). docs/scaling.md lists the keys.
 *
 * @module
 */

/** A claim's value: the display name and the isolate that holds it. */
export interface ClaimValue {
  /** Display name. */
  readonly name: string;
  /** The holding isolate's id. */
  readonly isolate: string;
}

/** A lease's value. */
export interface LeaseValue {
  /** When the lease runs out, in ms since the epoch. */
  readonly expires: number;
}

/** Adding this to a `Deno.KvU64` subtracts one (sums wrap at 2^64). */
export const MINUS_ONE = (1n << 64n) - 1n;

/**
 * The keys of one instance's state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const keys = new StoreKeys(["roomcast"]);
 * assert.deepEqual(keys.claim("lobby", "bob"), ["roomcast", "claim", "lobby", "bob"]);
 * ```
 */
export class StoreKeys {
  readonly #p: Deno.KvKey;

  /** @param prefix The prefix of every key. */
  constructor(prefix: Deno.KvKey) {
    this.#p = prefix;
  }

  /** A name's claim in a room: {@link ClaimValue}. */
  claim(room: string, key: string): Deno.KvKey {
    return [...this.#p, "claim", room, key];
  }

  /** Every claim of a room. */
  claims(room: string): Deno.KvKey {
    return [...this.#p, "claim", room];
  }

  /** An isolate's index entry of a claim it holds (the display name). */
  held(isolate: string, room: string, key: string): Deno.KvKey {
    return [...this.#p, "held", isolate, room, key];
  }

  /** Every index entry of an isolate. */
  heldBy(isolate: string): Deno.KvKey {
    return [...this.#p, "held", isolate];
  }

  /** A room's member count (`Deno.KvU64`). */
  count(room: string): Deno.KvKey {
    return [...this.#p, "count", room];
  }

  /** Every room's count. */
  counts(): Deno.KvKey {
    return [...this.#p, "count"];
  }

  /** An isolate's lease: {@link LeaseValue}. */
  lease(isolate: string): Deno.KvKey {
    return [...this.#p, "lease", isolate];
  }

  /** Every lease. */
  leases(): Deno.KvKey {
    return [...this.#p, "lease"];
  }

  /** The mark of an isolate declared lost (the id of who did it). */
  lost(isolate: string): Deno.KvKey {
    return [...this.#p, "lost", isolate];
  }
}
