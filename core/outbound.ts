/**
 * A session's way out: its {@link Peer} while one is attached, events held
 * while its WELCOME is looked up, and, for a resumable member, the numbered
 * log of what it was sent ({@link SentLog}). A member whose connection went
 * away keeps its outbound detached: events still go to its log (a resume
 * gives them back), none to a peer. core/session.ts owns one.
 *
 * @module
 */

import type { Outgoing, Peer } from "./peer.ts";
import type { SentLog } from "./sent_log.ts";

/** Most events held for a member while its WELCOME is looked up. */
export const MAX_HELD = 4096;

/**
 * @internal The outbound side of one session. Every event after a
 * resumable member's WELCOME goes through {@link Outbound.put}: numbered in
 * the log, then held, sent, or (detached) only kept.
 */
export class Outbound {
  #peer: Peer | undefined;
  #held: Outgoing[] | undefined;
  #log: SentLog | undefined;

  /** @param peer The transport's side of the connection. */
  constructor(peer: Peer) {
    this.#peer = peer;
  }

  /** True while a peer is attached. */
  get attached(): boolean {
    return this.#peer !== undefined;
  }

  /** The log of numbered events, once the member is resumable. */
  get log(): SentLog | undefined {
    return this.#log;
  }
  set log(log: SentLog | undefined) {
    this.#log = log;
  }

  /**
   * Queue an event: numbered (when logged), then held, or given to the
   * peer. False when the peer's buffer (or the hold) is full.
   */
  put(out: Outgoing): boolean {
    const held = this.#held;
    if (held !== undefined) {
      if (held.length >= MAX_HELD) return false;
      held.push(out);
      return true;
    }
    const log = this.#log;
    const peer = this.#peer;
    if (log === undefined) return peer === undefined || peer.send(out);
    log.record(out);
    return peer === undefined || peer.send(out, log.seq);
  }

  /**
   * Give an event to the peer now, never held: a WELCOME or the last word
   * before the connection closes (unnumbered), or an event sent again
   * (with its number).
   */
  direct(out: Outgoing, seq?: number): boolean {
    const peer = this.#peer;
    return peer === undefined || peer.send(out, seq);
  }

  /** Hold events from now until {@link Outbound.release}. */
  hold(): void {
    this.#held ??= [];
  }

  /**
   * Send `first` (the WELCOME, unnumbered), then `replay` (events already
   * numbered, sent again), then `then` and what was held (numbered now).
   *
   * @returns False when the peer could not take it all (a slow consumer).
   */
  release(
    first: Outgoing,
    replay: { readonly seq: number; readonly events: readonly Outgoing[] },
    then: readonly Outgoing[],
  ): boolean {
    const held = this.#held;
    this.#held = undefined;
    if (!this.direct(first)) return false;
    let seq = replay.seq;
    for (const out of replay.events) if (!this.direct(out, ++seq)) return false;
    for (const out of then) if (!this.put(out)) return false;
    if (held !== undefined) {
      for (const out of held) if (!this.put(out)) return false;
    }
    return true;
  }

  /**
   * Let go of the peer (the connection is gone, or is being closed): from
   * now on events are only logged.
   *
   * @returns The peer that was attached, if any.
   */
  detach(): Peer | undefined {
    const peer = this.#peer;
    this.#peer = undefined;
    return peer;
  }

  /** The session ended: nothing is held or logged any more. */
  end(): void {
    this.#held = undefined;
    this.#log = undefined;
  }
}
