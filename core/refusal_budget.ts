/**
 * How many refusals a connection may draw: a bucket of `maxRefusals` that
 * refills over `refusalWindowMs`. A client that floods bad input is cut once
 * it is empty, so that refusing it costs little (core/session.ts).
 *
 * @module
 */

/** Refusals of one session written to the log; later ones are only counted. */
export const LOGGED_REFUSALS = 20;

/** The refusals a session may still draw. */
export class RefusalBudget {
  /** Refusals drawn so far. */
  count = 0;
  readonly #max: number;
  readonly #windowMs: number;
  #credit: number;
  #at: number;

  /**
   * A full bucket.
   *
   * @param max Refusals within the window; 0 never runs out.
   * @param windowMs The window, in ms.
   * @param now The time now (chat clock).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const budget = new RefusalBudget(2, 1000, 0);
   * assert.equal(budget.take(0), true);
   * assert.equal(budget.take(0), true);
   * assert.equal(budget.take(0), false); // the third within the window
   * assert.equal(budget.take(1000), true); // a window later
   * ```
   */
  constructor(max: number, windowMs: number, now: number) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#credit = max;
    this.#at = now;
  }

  /**
   * Draw one refusal.
   *
   * @param now The time now (chat clock).
   * @returns False when the bucket was empty: the session is to be cut.
   */
  take(now: number): boolean {
    this.count++;
    if (this.#max === 0) return true;
    const refill = (now - this.#at) * this.#max / this.#windowMs;
    this.#at = now;
    this.#credit = Math.min(this.#max, this.#credit + refill) - 1;
    return this.#credit >= 0;
  }

  /**
   * Why the session is cut, once {@link RefusalBudget.take} said so.
   *
   * @param code The code of the refusal that emptied the bucket.
   * @returns The message of the fatal `TOO_MANY_ERRORS`.
   */
  cutMessage(code: string): string {
    return `Cannot go on: more than ${this.#max} refusals within ${this.#windowMs} ms (the last: ${code})`;
  }
}
