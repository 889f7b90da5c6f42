/**
 * What makes a session resumable: its resume token, and the resume fields
 * of its WELCOME (docs/protocol.md, "History and resume"). A session is
 * resumable when its client speaks protocol version 2, when its transport
 * says so (HTTP sessions), or once it resumed another. core/session.ts owns
 * one; the numbered log of what the member was sent is its
 * {@link Outbound}'s.
 *
 * @module
 */

import { encodeFrame } from "./codec/mod.ts";
import type { WelcomeEvent } from "./events.ts";
import type { Outbound } from "./outbound.ts";
import { Outgoing } from "./peer.ts";
import { type Replay, SentLog, type SentLogBounds } from "./sent_log.ts";

/** Options of a {@link SessionResume}. */
export interface SessionResumeOptions {
  /** The transport makes the session resumable whatever its version. */
  readonly resumable: boolean;
  /** The token the transport made for it, if any. */
  readonly token: string | undefined;
}

/** @internal A session's resume token and WELCOME fields. */
export class SessionResume {
  readonly #resumable: boolean;
  readonly #given: string | undefined;
  #token: string | undefined;
  #adopted = false;

  /** @param options Whether resumable by its transport, and a given token. */
  constructor(options: SessionResumeOptions) {
    this.#resumable = options.resumable;
    this.#given = options.token;
  }

  /** The resume token, once the member is resumable and in a room. */
  get token(): string | undefined {
    return this.#token;
  }

  /** Whether a client of this protocol version is told how to resume. */
  shows(version: number): boolean {
    return this.#resumable || this.#adopted || version >= 2;
  }

  /**
   * The member enters a room: a resumable one gets its token (the given
   * one, else `make()`), and starts or restarts its log.
   */
  enter(
    out: Outbound,
    bounds: SentLogBounds,
    make: (given: string | undefined) => string,
  ): void {
    this.#token ??= make(this.#given);
    const log = out.log;
    if (log === undefined) out.log = new SentLog(bounds);
    else log.restart();
  }

  /** The member resumed another: take its token and log. */
  adopt(out: Outbound, token: string, log: SentLog): void {
    this.#token = token;
    this.#adopted = true;
    out.log = log;
  }

  /** The member was handed on: its token goes with it. */
  give(): string | undefined {
    const token = this.#token;
    this.#token = undefined;
    return token;
  }

  /**
   * The WELCOME to send: with the resume fields when the member is
   * resumable (below version 2, in JSON only: the binary frame of version
   * 1 has no room for them).
   *
   * @param welcome The WELCOME.
   * @param out The session's outbound side (its log).
   * @param version The client's protocol version.
   * @param graceMs The grace period.
   * @param replay What a resume gives back, if this answers one.
   * @returns The event to send.
   */
  welcome(
    welcome: WelcomeEvent,
    out: Outbound,
    version: number,
    graceMs: number,
    replay: Replay | undefined,
  ): Outgoing {
    const log = out.log, token = this.#token;
    if (log === undefined || token === undefined || !this.shows(version)) {
      return new Outgoing(welcome);
    }
    const event: WelcomeEvent = {
      ...welcome,
      resume: {
        token,
        graceMs,
        seq: replay?.seq ?? log.seq,
        lost: replay?.lost ?? 0,
      },
    };
    return version >= 2
      ? new Outgoing(event)
      : new Outgoing(event, encodeFrame(welcome));
  }
}
