/**
 * Claims of free names, committed together: while one commit is being
 * written, the claims that arrive wait and go in the next one, as a single
 * atomic commit that checks every name is still absent (group commit). An
 * isolate alone writes at once; in a join storm, a commit carries the
 * claims of many joins, so the isolates that share the store take its lock
 * a few times instead of once per join, and fail less often on it
 * (docs/performance.md, "W3 with two Workers"). When any name of a
 * commit is taken, none is written, and each claim goes its own way
 * (adapters/isolates/claims.ts reads the name and decides).
 *
 * @module
 */

import type { ClaimValue, StoreKeys } from "./keys.ts";
import { retrying } from "./kv_retry.ts";

/**
 * Claims in one commit, at most: Deno KV takes 100 checks an atomic
 * operation (each claim checks its name, and sets two entries).
 */
export const MAX_BATCH = 100;

/** A name to claim if it is absent. */
export interface FreeClaim {
  /** Canonical room. */
  readonly room: string;
  /** Folded name key. */
  readonly key: string;
  /** Display name. */
  readonly name: string;
}

interface Waiting {
  readonly claim: FreeClaim;
  readonly done: (won: boolean) => void;
  readonly failed: (e: unknown) => void;
}

/** Group commits of claims on absent names. */
export class ClaimBatch {
  readonly #kv: Deno.Kv;
  readonly #keys: StoreKeys;
  readonly #id: string;
  #waiting: Waiting[] = [];
  #writing = false;
  #commits = 0;

  /**
   * @param kv The shared store.
   * @param keys Its keys.
   * @param id This isolate's id (the holder of the claims).
   */
  constructor(kv: Deno.Kv, keys: StoreKeys, id: string) {
    this.#kv = kv;
    this.#keys = keys;
    this.#id = id;
  }

  /** Commits written so far (claims of one moment share one). */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Claim a name if no one holds it, with the claims that come meanwhile.
   *
   * @returns True when written; false when the commit it went in found a
   *   name taken (this one or another: the caller reads it to know).
   * @throws What the store threw, when it stays busy (kv_retry.ts).
   */
  absent(claim: FreeClaim): Promise<boolean> {
    return new Promise((done, failed) => {
      this.#waiting.push({ claim, done, failed });
      if (!this.#writing) this.#write();
    });
  }

  async #write(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      try {
        const ok = await retrying(() => this.#commit(batch));
        for (const w of batch) w.done(ok);
      } catch (e) {
        // A commit of many can break a limit of the store (800 KB written
        // at most) that one claim would not: each goes its own way then.
        if (batch.length > 1) { for (const w of batch) w.done(false); }
        else batch[0]!.failed(e);
      }
    }
    this.#writing = false;
  }

  #commit(batch: readonly Waiting[]): Promise<boolean> {
    const keys = this.#keys, id = this.#id;
    let op = this.#kv.atomic();
    const counts = new Map<string, bigint>();
    for (const { claim: { room, key, name } } of batch) {
      const at = keys.claim(room, key);
      const value: ClaimValue = { name, isolate: id };
      op = op.check({ key: at, versionstamp: null }).set(at, value)
        .set(keys.held(id, room, key), name);
      counts.set(room, (counts.get(room) ?? 0n) + 1n);
    }
    for (const [room, n] of counts) op = op.sum(keys.count(room), n);
    this.#commits++;
    return op.commit().then((r) => r.ok);
  }
}
