/**
 * The WebSockets of the HTTP adapter that the hub keeps an eye on: those
 * not yet in a session (they count as connections, and are closed when they
 * stay silent past the join timeout or the server shuts down), and every
 * open one until its close event (the listener's close waits for them).
 * adapters/http/hub.ts owns one.
 *
 * @module
 */

/** A WebSocket that has not said who it is yet. */
export interface PendingSocket {
  /** When it opened (chat clock). */
  readonly openedAt: number;
  /**
   * Give up on it: send a fatal error (JOIN_TIMEOUT, or SHUTTING_DOWN when
   * `shutdown`) and close.
   */
  expire(shutdown: boolean): void;
}

/** WebSockets not yet in a session, and every open one. */
export class WsSockets {
  readonly #pending = new Set<PendingSocket>();
  /** Open WebSockets, each settling once its close event came. */
  readonly #sockets = new Set<Promise<void>>();

  /** WebSockets open but not yet in a session: they count as connections. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Track a WebSocket until it says who it is. */
  addPending(socket: PendingSocket): void {
    this.#pending.add(socket);
  }

  /** It said who it is, or went away. */
  removePending(socket: PendingSocket): void {
    this.#pending.delete(socket);
  }

  /**
   * Close the WebSockets that did not say who they are within the join
   * timeout.
   *
   * @param now The chat clock.
   * @param joinTimeoutMs The chat's join timeout.
   */
  expire(now: number, joinTimeoutMs: number): void {
    for (const p of [...this.#pending]) {
      if (now - p.openedAt >= joinTimeoutMs) {
        this.#pending.delete(p);
        p.expire(false);
      }
    }
  }

  /** The server shuts down: every WebSocket not in a session is closed. */
  expireAll(): void {
    for (const p of this.#pending) p.expire(true);
    this.#pending.clear();
  }

  /**
   * Track an open WebSocket until `closed` settles (its close event).
   */
  track(closed: Promise<void>): void {
    this.#sockets.add(closed);
    closed.finally(() => this.#sockets.delete(closed));
  }

  /**
   * Settles once every WebSocket open now has closed. (A socket whose peer
   * stopped reading cannot finish closing; it ends when the peer reads or
   * goes away.)
   */
  async closed(): Promise<void> {
    await Promise.all(this.#sockets);
  }
}
