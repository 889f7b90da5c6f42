/**
 * Deno KV calls that survive a busy database. Isolates that share a local
 * KV file each have their own SQLite connection, and when two write at
 * once one of them gets `TypeError: database is locked` (SQLITE_BUSY),
 * thrown by `commit()` (sometimes synchronously) and not retried by Deno
 * 2.9. A bounded retry with jittered exponential backoff makes every call
 * go through (docs/scaling.md, "Isolates"); any other error is thrown at
 * once.
 *
 * @module
 */

/** Attempts before a busy database's error is thrown. */
export const MAX_ATTEMPTS = 40;
/** Longest wait between two attempts, in ms (before jitter). */
const MAX_BACKOFF_MS = 50;

/**
 * True for the errors a busy SQLite database gives.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isBusy(new TypeError("database is locked")), true);
 * assert.equal(isBusy(new TypeError("Too many checks (max 100)")), false);
 * ```
 */
export function isBusy(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /database is (locked|busy)/i.test(message);
}

/**
 * Run `op`, again while it fails because the database is busy: after 1, 2,
 * 4, ... up to 50 ms (times a random factor in [0.5, 1.5)), at most
 * {@link MAX_ATTEMPTS} times.
 *
 * @param op The KV call (read, commit, or a whole read-then-commit).
 * @returns What `op` returned.
 * @throws What `op` threw, when not busy or still busy at the last attempt.
 */
export async function retrying<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isBusy(e) || attempt >= MAX_ATTEMPTS) throw e;
      const wait = Math.min(MAX_BACKOFF_MS, 2 ** (attempt - 1)) *
        (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
