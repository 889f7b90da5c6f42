/**
 * When the page tries again after losing the server: the delay doubles from
 * the first to the longest, with a quarter either way at random (so pages
 * cut off together do not all come back at once), and starts over once a
 * try succeeds. adapters/web/connection.ts owns one.
 *
 * @module
 */

/** The delays of the tries, and the timer of the next one. */
export class Backoff {
  readonly #minDelay: number;
  readonly #maxDelay: number;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param minDelayMs The first delay, in ms.
   * @param maxDelayMs The longest delay, in ms.
   */
  constructor(minDelayMs: number, maxDelayMs: number) {
    this.#minDelay = minDelayMs;
    this.#maxDelay = maxDelayMs;
  }

  /**
   * Run `task` after the next delay.
   *
   * @returns When it runs (`Date.now()` clock).
   */
  schedule(task: () => void): number {
    const base = Math.min(this.#maxDelay, this.#minDelay * 2 ** this.#attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#attempt = Math.min(this.#attempt + 1, 16);
    const at = Date.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      task();
    }, delay);
    return at;
  }

  /** Do not run the task scheduled, if any. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A try succeeded: the next delay is the first again. */
  succeeded(): void {
    this.#attempt = 0;
  }

  /** Start over: nothing scheduled, the next delay the first. */
  reset(): void {
    this.cancel();
    this.#attempt = 0;
  }
}
