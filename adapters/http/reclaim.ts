/**
 * The members a token can bring back into an HTTP session: one whose
 * stream went away (its member waits in the core for its grace period, on
 * this node or, handed over, on another), or, for a new stream that
 * replaces the old, any. A stream that comes back without a
 * `Last-Event-ID` gets the events after the last one its session gave a
 * stream, remembered here. adapters/http/hub.ts owns one.
 *
 * @module
 */

import { nodeTag, tokenTag } from "../../core/backplane.ts";
import type { Chat } from "../../core/chat.ts";
import type { HttpSession } from "./session.ts";

/** Options of {@link Reclaim.session}. */
export interface ReclaimOptions {
  /**
   * Take the member even from a connection still open (a new stream
   * replaces the old); otherwise only a member whose connection is gone.
   */
  readonly steal: boolean;
  /** The number of the last event the client has, if it says. */
  readonly seen?: number | undefined;
}

/** What {@link Reclaim} needs of the hub. */
export interface ReclaimHost {
  /** The chat. */
  readonly chat: Chat;
  /** The open session of a token. */
  find(token: string): HttpSession | undefined;
  /** A new resumable session with this token. */
  createSession(remote: string | undefined, token: string): HttpSession;
}

/** Bringing members back into sessions by their token. */
export class Reclaim {
  readonly #hub: ReclaimHost;
  /** The last event number each ended token session gave a stream. */
  readonly #cursors = new Map<string, number>();

  /** @param hub The hub. */
  constructor(hub: ReclaimHost) {
    this.#hub = hub;
  }

  /**
   * A token session ended, having given its streams the events up to
   * number `cursor`: remembered while its member waits.
   */
  ended(token: string, cursor: number): void {
    const chat = this.#hub.chat;
    if (chat.tokenState(token) === undefined) return;
    // Bounded: one per member in its grace period, at most.
    if (this.#cursors.size >= chat.limits.maxConnections) {
      this.#cursors.delete(this.#cursors.keys().next().value!);
    }
    this.#cursors.set(token, cursor);
  }

  /**
   * Whether a token may name a member of this node, or, being another
   * node's, one there.
   */
  known(token: string): boolean {
    const chat = this.#hub.chat;
    if (chat.tokenState(token) !== undefined) return true;
    const tag = tokenTag(token);
    const bp = chat.backplane;
    return tag !== "" && tag !== nodeTag(bp.nodeId) &&
      bp.handOver !== undefined;
  }

  /** The open session of a token, or a new one that resumes its member. */
  async session(
    token: string,
    options: ReclaimOptions,
    remote?: string,
  ): Promise<HttpSession | undefined> {
    const hub = this.#hub;
    const open = hub.find(token);
    if (open !== undefined) return open;
    if (!options.steal && hub.chat.tokenState(token) === "connected") {
      return undefined;
    }
    const seen = options.seen ?? this.#cursors.get(token);
    this.#cursors.delete(token);
    const session = hub.createSession(remote, token);
    if (session.closed) return undefined;
    const outcome = await session.resume(token, seen);
    if (outcome.type === "error") {
      session.disconnect();
      return undefined;
    }
    return session;
  }
}
