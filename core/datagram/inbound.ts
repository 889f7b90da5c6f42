/**
 * The client-to-server direction of binary datagram sessions, sans-IO:
 * each session's own rate limit, the first use of a token confirming the
 * client's address, numbered datagrams handled exactly once and in order
 * (the session's window, core/datagram/inbound_window.ts) and acknowledged
 * in the next flush, SEQ 0 handled as it comes and not acknowledged, the client
 * followed when its address changes, and each frame handed to the session
 * as a command. Internal to core/datagram/server.ts.
 *
 * @module
 */

import { type Decoded, isCommand } from "../codec/mod.ts";
import { FrameError } from "../errors.ts";
import type { DatagramAddress } from "./address.ts";
import type { BinaryMember, Link } from "./members.ts";
import type { SessionTable } from "./sessions.ts";

/** Options of an {@link Inbound}. */
export interface InboundOptions {
  /** The server's running totals this side counts. */
  readonly stats: { rateLimited: number; duplicates: number };
  /** The server's sessions. */
  readonly sessions: SessionTable;
  /** The server's outbound side (an acknowledgement is owed). */
  readonly link: Link;
}

/** What a session's datagrams bring, handed to the session. */
export class Inbound {
  readonly #stats: { rateLimited: number; duplicates: number };
  readonly #sessions: SessionTable;
  readonly #link: Link;

  /** @param options Counters, sessions and outbound side. */
  constructor(options: InboundOptions) {
    this.#stats = options.stats;
    this.#sessions = options.sessions;
    this.#link = options.link;
  }

  /**
   * Take a datagram of a session.
   *
   * @param m Its member.
   * @param seq Its envelope's sequence number (0: not acknowledged).
   * @param frames Its frames after the envelope.
   * @param from Its source address.
   * @param key The address as a string.
   * @param now The chat clock.
   */
  deliver(
    m: BinaryMember,
    seq: number,
    frames: readonly Decoded[],
    from: DatagramAddress,
    key: string,
    now: number,
  ): void {
    if (!m.rate.take(now)) {
      this.#stats.rateLimited++;
      return;
    }
    m.session.lastSeen = now;
    if (!m.confirmed) this.#sessions.confirm(m);
    if (seq === 0) {
      this.#handle(m, frames);
      return;
    }
    const result = m.window.receive(seq, frames);
    if (result.status === "outside") return;
    m.ackDue = true;
    this.#link.dirty(m);
    if (result.status === "duplicate") this.#stats.duplicates++;
    if (result.status !== "new") return;
    if (key !== m.key) m.move(from, key); // the client's address changed
    for (const batch of result.ready) this.#handle(m, batch);
  }

  #handle(m: BinaryMember, frames: readonly Decoded[]): void {
    const session = m.session;
    for (const f of frames) {
      if (session.state === "closed") return;
      if (f instanceof FrameError) session.error(f.code, f.message);
      else if (isCommand(f)) session.handle(f);
      else if (f.type !== "pad") {
        session.error(
          "UNKNOWN_TYPE",
          `Cannot accept frame "${f.type}": it is not a command`,
        );
      }
    }
  }
}
