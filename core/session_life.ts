/**
 * How a session ends, or waits: too many refusals, a fatal error, a removal
 * by the server, the
 * connection going away (a resumable member then waits, detached, for its
 * grace period), the end of that grace, a shutdown, and the hand-off of a
 * member to a session that resumes it. core/session.ts owns one, and
 * passes its parts; `S` is the session type.
 *
 * @module
 */

import type { ChatInternals, Membership } from "./chat_internals.ts";
import type { CommandHost, Commands } from "./commands.ts";
import type { ErrorCodeName } from "./errors.ts";
import type { LeaveReason } from "./events.ts";
import type { Outbound } from "./outbound.ts";
import { Outgoing } from "./peer.ts";
import { LOGGED_REFUSALS, RefusalBudget } from "./refusal_budget.ts";
import type { SentLog } from "./sent_log.ts";
import type { SessionResume } from "./session_resume.ts";

/** The parts of a session its life works on. */
export interface LifeParts<S> {
  /** The session itself (for the chat). */
  readonly session: S;
  /** Its id, for the log. */
  readonly id: number;
  /** Its chat. */
  readonly chat: ChatInternals<S>;
  /** Its protocol state. */
  readonly commands: Commands<S & CommandHost>;
  /** Its way out. */
  readonly out: Outbound;
  /** Its resume token. */
  readonly resume: SessionResume;
}

/** @internal The end (or the wait) of one session. */
export class SessionLife<S> {
  /** Since when the member's connection is gone (chat clock), if it is. */
  detachedAt: number | undefined;
  /** Why the connection went away, for the leave when the grace runs out. */
  detachReason: "disconnect" | "timeout" = "disconnect";
  /**
   * Once the session has ended with its name's release still being written
   * (a shared store): settles when the member has been told and closed.
   */
  released: Promise<void> | undefined;
  readonly #p: LifeParts<S>;
  /** Made at the first refusal (most sessions draw none). */
  #budget: RefusalBudget | undefined;

  /** @param parts The session's parts. */
  constructor(parts: LifeParts<S>) {
    this.#p = parts;
  }

  /**
   * Tell the member about a refusal; the session goes on, unless it drew
   * more than `maxRefusals` within `refusalWindowMs`: then it is cut with
   * the fatal `TOO_MANY_ERRORS`, and what it sent after is not looked at.
   */
  refuse(code: ErrorCodeName, message: string): void {
    const p = this.#p;
    if (p.commands.state === "closed") return;
    const now = p.chat.now();
    const { maxRefusals, refusalWindowMs } = p.chat.limits;
    const budget = this.#budget ??= new RefusalBudget(
      maxRefusals,
      refusalWindowMs,
      now,
    );
    if (!budget.take(now)) {
      return this.fail("TOO_MANY_ERRORS", budget.cutMessage(code));
    }
    // A client that floods bad input must not flood the operator's log:
    // the first refusals are logged, the rest only counted.
    const n = budget.count;
    p.chat.log({
      event: "refused",
      session: p.id,
      code,
      message,
      ...(n === LOGGED_REFUSALS ? { more: "not logged" } : {}),
      ...(n > LOGGED_REFUSALS ? { quiet: true } : {}),
    });
    const refusal = new Outgoing({
      type: "error",
      code,
      message,
      fatal: false,
    });
    if (!p.out.put(refusal)) this.drop("slow_consumer");
  }

  /** Tell the member about an error and close the connection. */
  fail(code: ErrorCodeName, message: string): void {
    const p = this.#p;
    if (p.commands.state === "closed") return;
    p.chat.log({ event: "error", session: p.id, code, message });
    p.out.direct(new Outgoing({ type: "error", code, message, fatal: true }));
    this.#end("disconnect", true);
  }

  /**
   * Remove the member on the server's side: others are told it left with
   * `reason`, the member itself is told too (unless it is too slow to be
   * told anything), and the connection is closed. A resumable member that
   * timed out waits for its grace period first, told nothing.
   */
  drop(reason: LeaveReason): void {
    const p = this.#p;
    if (p.commands.state === "closed") return;
    if (reason === "timeout" && this.#canDetach()) {
      this.#detach("timeout");
      return;
    }
    const m = p.commands.membership;
    const told = reason !== "slow_consumer" && m
      ? new Outgoing({ type: "left", room: m.room, name: m.name, reason })
      : undefined;
    this.#end(reason, reason !== "slow_consumer", told);
  }

  /**
   * The transport lost the connection: leave with reason `disconnect`, or,
   * for a resumable member, wait for it to come back within the grace
   * period.
   */
  close(): void {
    if (this.#canDetach()) this.#detach("disconnect");
    else this.#end("disconnect", false);
  }

  /** The grace period of a detached member is over: it leaves. */
  expire(): void {
    this.#end(this.detachReason, false);
  }

  /** End without telling others (server shutdown). */
  shutdown(): void {
    const p = this.#p;
    if (p.commands.state === "closed") return;
    const m = p.commands.membership;
    p.out.direct(
      new Outgoing(
        m ? { type: "left", room: m.room, name: m.name, reason: "shutdown" } : {
          type: "error",
          code: "SHUTTING_DOWN",
          message: "Cannot go on: the server is shutting down",
          fatal: true,
        },
      ),
    );
    p.commands.end();
    p.out.end();
    p.chat.forget(p.session, m, "shutdown");
    p.out.detach()?.close(true);
  }

  /**
   * Give this member's place to a session that resumes it: this session
   * ends without a leave (its connection, if still open, is told and
   * closed), and its token and log go to the other.
   */
  handOff():
    | { membership: Membership; token: string; log: SentLog }
    | undefined {
    const p = this.#p;
    const log = p.out.log, token = p.resume.token;
    const m = p.commands.membership;
    if (
      p.commands.state === "closed" || m === undefined ||
      log === undefined || token === undefined
    ) return undefined;
    p.out.direct(
      new Outgoing({
        type: "error",
        code: "RESUME_FAILED",
        message: "Cannot go on: this session was resumed on another connection",
        fatal: true,
      }),
    );
    p.commands.end();
    p.out.end();
    p.resume.give();
    p.out.detach()?.close(true);
    p.chat.forget(p.session, undefined, "resumed");
    return { membership: m, token, log };
  }

  /**
   * The member's connection is gone for now: keep its place for the grace
   * period, logging what it is sent. A `timeout` closes the connection
   * that went silent, at once: nothing is written to it (a client still
   * there learns its session is gone, and resumes).
   */
  #detach(reason: "disconnect" | "timeout"): void {
    const p = this.#p;
    const peer = p.out.detach();
    this.detachedAt = p.chat.now();
    this.detachReason = reason;
    p.chat.detach(p.session, reason);
    if (reason === "timeout") peer?.close(false);
  }

  /** Whether the member can wait for its connection to come back. */
  #canDetach(): boolean {
    const p = this.#p;
    return p.commands.state === "joined" && p.resume.token !== undefined &&
      p.out.log !== undefined && p.out.attached &&
      p.chat.limits.resumeGraceMs > 0 && !p.chat.closing;
  }

  /**
   * End the session: leave (telling the member `told`), forget it, close
   * its connection. Where the name's release is a write to a shared store
   * (isolates, Redis), the member is told and its connection closed once it
   * is written, so that it can take the name again at once on any node.
   */
  #end(reason: LeaveReason, closePeer: boolean, told?: Outgoing): void {
    const p = this.#p;
    if (p.commands.state === "closed") return;
    const m = p.commands.end();
    p.out.end();
    const released = m ? p.chat.leave(p.session, m, reason) : undefined;
    p.chat.forget(p.session, undefined, reason);
    const peer = p.out.detach();
    if (reason === "slow_consumer") return peer?.close(false);
    const finish = () => {
      if (told) peer?.send(told);
      if (closePeer) peer?.close(true);
    };
    // Nothing to tell (the connection is gone): nothing to wait for.
    if (released === undefined || (!told && !closePeer)) return finish();
    const later = () => {
      try {
        finish();
      } catch {
        // A transport that throws while closing: the session is over.
      }
    };
    this.released = released.then(later, later);
  }
}
