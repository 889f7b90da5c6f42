/**
 * The seam between a chat and its sessions: what a session needs of its chat
 * ({@link ChatInternals}), where a session is in its life
 * ({@link SessionState}), a member's place in a room ({@link Membership}),
 * and the records both write to the log. {@link ChatInternals} is generic in
 * the session type, so core/session.ts imports nothing of core/chat.ts.
 *
 * @module
 */

import type { Refusal } from "./errors.ts";
import type { LeaveReason } from "./events.ts";
import type { Limits } from "./limits.ts";

/** One log record: an event name and its fields. */
export interface LogRecord {
  /** What happened, such as `join` or `leave`. */
  readonly event: string;
  /** Fields of the event. */
  readonly [field: string]: unknown;
}

/** Where a session is in its life. */
export type SessionState = "new" | "ready" | "joining" | "joined" | "closed";

/** A member's place in a room. */
export interface Membership {
  /** Canonical room name. */
  readonly room: string;
  /** Display name. */
  readonly name: string;
  /** Folded name key. */
  readonly key: string;
}

/**
 * @internal What a session needs of its chat. `S` is the session type
 * (`Session` in core/session.ts); core/membership.ts implements it.
 */
export interface ChatInternals<S> {
  /** The limits in force. */
  readonly limits: Limits;
  /** The chat's clock, in milliseconds. */
  now(): number;
  /** Log a record (refusals are counted, and the quiet ones only counted). */
  log(record: LogRecord): void;
  /** Check a JOIN's room and name and claim the name, cluster-wide. */
  join(
    session: S,
    room: string,
    name: string,
  ): Membership | Refusal | Promise<Membership | Refusal>;
  /** Put a member that won its name into its room and tell the room. */
  enter(session: S, m: Membership): void;
  /** Send the member its WELCOME (with the room's roster). */
  welcome(session: S, m: Membership): void;
  /**
   * Take a member out of its room, give its name back and tell the room.
   * A promise settles once the name's release is written (a shared store).
   */
  leave(session: S, m: Membership, reason: LeaveReason): void | Promise<void>;
  /** Fan a member's message out to its room. */
  say(session: S, m: Membership, text: string): void;
  /** Answer a WHO with the room's members. */
  who(session: S, room: string): void;
  /** Answer a RECALL: the room's history again. */
  recall(session: S, m: Membership): void;
  /** The session is gone: give back a claim it still holds and forget it. */
  forget(
    session: S,
    m: Membership | undefined,
    reason: LeaveReason | "resumed",
  ): void;
  /** True once the chat shuts down. */
  readonly closing: boolean;
  /**
   * The resume token of a session entering its first room (`given`, or a
   * new one), now registered for RESUME.
   */
  token(session: S, given: string | undefined): string;
  /** A member's connection went away: its grace period starts. */
  detach(session: S, reason: "disconnect" | "timeout"): void;
  /**
   * RESUME: take over the member holding `token` (on this node or, through
   * the backplane, another), and welcome it with what it missed after
   * event number `seen`.
   */
  resume(
    session: S,
    token: string,
    seen: number,
  ): Membership | Refusal | Promise<Membership | Refusal>;
}
