/**
 * Reads of the shared store that callers asking at nearly the same time
 * share, without any of them getting an answer older than its question.
 * While a read of a key runs, everyone who asks for that key waits for one
 * read that starts after it ends; so each answer was read after it was
 * asked for, as if each caller had read alone, and a join storm of a
 * hundred members into one room costs a few reads of its roster instead of
 * a hundred (docs/performance.md, "Isolates").
 *
 * @module
 */

/**
 * Shared reads by key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FreshReads } from "./fresh_reads.ts";
 * let reads = 0;
 * const shared = new FreshReads<number>();
 * const read = async () => ++reads;
 * const answers = await Promise.all([1, 2, 3].map(() => shared.read("lobby", read)));
 * // The first read started at once; the two asked during it share the next.
 * assert.deepEqual(answers, [1, 2, 2]);
 * ```
 */
export class FreshReads<T> {
  readonly #running = new Map<string, Promise<T>>();
  readonly #next = new Map<string, Promise<T>>();

  /**
   * The answer of a read of `key` that starts now, or, when one is running,
   * right after it (shared with whoever asks meanwhile).
   *
   * @param key What is read (a room, say).
   * @param op The read.
   * @returns Its answer (or error), shared with the callers of that read.
   */
  read(key: string, op: () => Promise<T>): Promise<T> {
    const next = this.#next.get(key);
    if (next !== undefined) return next;
    const running = this.#running.get(key);
    if (running === undefined) return this.#start(key, op);
    const after = () => {
      this.#next.delete(key);
      return this.#start(key, op);
    };
    const queued = running.then(after, after);
    this.#next.set(key, queued);
    return queued;
  }

  #start(key: string, op: () => Promise<T>): Promise<T> {
    const read = op();
    this.#running.set(key, read);
    const done = () => {
      if (this.#running.get(key) === read) this.#running.delete(key);
    };
    read.then(done, done);
    return read;
  }
}
