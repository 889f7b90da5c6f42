/**
 * The event queue a conformance client reads into (stream_client.ts, and
 * the tests' WebSocket client): events wait here until a case takes them,
 * the end of the connection is remembered, and reading can be paused to
 * make a slow consumer.
 *
 * @module
 */

/** Events from the server, waiting for a test to take them. */
export class EventInbox<E> {
  readonly #queue: E[] = [];
  readonly #why: () => string;
  #done = false;
  #wake: (() => void) | undefined;
  #paused: { promise: Promise<void>; resolve: () => void } | undefined;

  /**
   * An empty inbox.
   * @param why Why the connection ended, if known, for error messages
   *   (` (bad frame from server: ...)`), or "".
   */
  constructor(why: () => string = () => "") {
    this.#why = why;
  }

  /** True once the connection has ended (no more events will come). */
  get done(): boolean {
    return this.#done;
  }

  /** An event arrived. */
  push(event: E): void {
    this.#queue.push(event);
    this.#wake?.();
  }

  /** The connection ended. */
  end(): void {
    this.#done = true;
    this.#wake?.();
  }

  /** The next event; rejects when the connection ends first or on timeout. */
  async next(timeoutMs: number): Promise<E> {
    await this.#until(timeoutMs, `no event within ${timeoutMs} ms`);
    const event = this.#queue.shift();
    if (event === undefined) {
      throw new Error(
        `connection closed by the server, expected an event${this.#why()}`,
      );
    }
    return event;
  }

  /** Resolves when the connection ends; rejects if an event comes first. */
  async ended(timeoutMs: number): Promise<void> {
    await this.#until(
      timeoutMs,
      `connection still open after ${timeoutMs} ms`,
    );
    if (this.#queue.length > 0) {
      throw new Error(
        `expected the connection to close, got ${
          JSON.stringify(this.#queue[0])
        }`,
      );
    }
  }

  /** Stop the reader at its next {@link EventInbox.gate}. */
  pause(): void {
    if (this.#paused) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => resolve = r);
    this.#paused = { promise, resolve };
  }

  /** Let the reader go on. */
  resume(): void {
    const p = this.#paused;
    this.#paused = undefined;
    p?.resolve();
  }

  /** The reader waits here while paused. */
  async gate(): Promise<void> {
    while (this.#paused) await this.#paused.promise;
  }

  /** Wait until an event is queued or the connection has ended. */
  async #until(timeoutMs: number, message: string): Promise<void> {
    const ready = () => this.#queue.length > 0 || this.#done;
    if (ready()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          this.#wake = undefined;
          reject(new Error(message));
        }, timeoutMs);
        this.#wake = () => {
          if (!ready()) return;
          this.#wake = undefined;
          resolve();
        };
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
