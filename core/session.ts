/**
 * One member's connection as the core sees it: bytes or commands in, events
 * out through its {@link Peer}, and how it ends. The first byte of a stream
 * picks binary frames or text lines (core/input_mode.ts); either way the
 * commands go to the protocol state machine (core/commands.ts), the same for
 * every transport. Events go out through core/outbound.ts; a resumable
 * member (core/session_resume.ts) whose connection goes away waits,
 * detached, for a resume (core/resumption.ts).
 *
 * @module
 */

import type { ChatInternals, Membership } from "./chat_internals.ts";
import type { Command } from "./codec/mod.ts";
import { Commands, type SessionState } from "./commands.ts";
import type { ErrorCodeName, Refusal } from "./errors.ts";
import type { ChatEvent, LeaveReason, WelcomeEvent } from "./events.ts";
import { InputMode } from "./input_mode.ts";
import { Outbound } from "./outbound.ts";
import { type Outgoing, Outgoing as Out, type Peer } from "./peer.ts";
import type { RoomMember } from "./room.ts";
import type { Replay, SentLog } from "./sent_log.ts";
import { SessionLife } from "./session_life.ts";
import { SessionResume } from "./session_resume.ts";
import type { ConnectOptions, TextOptions } from "./session_options.ts";
import type { Lang } from "./text/phrases.ts";
import type { TextHost } from "./text/mode.ts";

export { type SessionState, SOFTWARE } from "./commands.ts";
export type { ConnectOptions, TextOptions } from "./session_options.ts";
export { MAX_HELD } from "./outbound.ts";

export { LOGGED_REFUSALS } from "./refusal_budget.ts";

/**
 * Name prompts of a text session that start its join timeout again (the
 * first prompt and the retries after refused names); later ones do not, so
 * that a refused name now and then cannot keep a session unjoined.
 */
export const JOIN_PROMPTS = 5;

/**
 * A connected member (or a connection that has not joined yet).
 * Transports call {@link Session.feed} with stream bytes or
 * {@link Session.handle} with decoded commands, and {@link Session.close}
 * when the connection goes away.
 */
export class Session implements RoomMember, TextHost {
  /** Sequential id, unique in this chat. */
  readonly id: number;
  /** Transport name. */
  readonly transport: string;
  /** Remote address, if known. */
  readonly remote: string | undefined;
  /** When the session last sent anything (chat clock). */
  lastSeen: number;
  /** Idle timeout, or 0. */
  readonly idleTimeoutMs: number;
  /** When the connection was made (chat clock). */
  readonly connectedAt: number;
  /**
   * Since when the chat waits for a JOIN (chat clock): the connect time, or
   * a text session's latest name prompt. The join timeout counts from here.
   */
  waitingSince: number;
  /** Language for rendered text. */
  lang: Lang;

  readonly #chat: ChatInternals<Session>;
  readonly #out: Outbound;
  readonly #commands: Commands<Session>;
  readonly #input: InputMode;
  readonly #resume: SessionResume;
  readonly #life: SessionLife<Session>;
  #prompts = 0;

  /** @internal Made by `Chat.connect`. */
  constructor(
    chat: ChatInternals<Session>,
    peer: Peer,
    id: number,
    options: ConnectOptions,
  ) {
    this.#chat = chat;
    this.#out = new Outbound(peer);
    this.#resume = new SessionResume({
      resumable: options.resumable ?? false,
      token: options.token,
    });
    this.id = id;
    this.transport = options.transport;
    this.remote = options.remote;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.lang = options.lang ?? "en";
    this.connectedAt = this.lastSeen = this.waitingSince = chat.now();
    this.#commands = new Commands<Session>(this, chat, {
      hello: options.hello ?? false,
      since: this.connectedAt,
    });
    this.#input = new InputMode(this, this.#commands, chat.limits);
    this.#life = new SessionLife<Session>({
      session: this,
      id,
      chat,
      commands: this.#commands,
      out: this.#out,
      resume: this.#resume,
    });
  }

  /** Where the session is in its life. */
  get state(): SessionState {
    return this.#commands.state;
  }

  /** Display name once joined. */
  get name(): string {
    return this.#commands.membership?.name ?? "";
  }

  /** @internal The member's place, once joined. */
  get membership(): Membership | undefined {
    return this.#commands.membership;
  }

  /** Room name once joined. */
  get room(): string | undefined {
    return this.#commands.membership?.room;
  }

  /** True for a text session (lines in, rendered lines out). */
  get text(): boolean {
    return this.#input.text;
  }

  /**
   * Bytes from a stream transport. The first byte picks the mode: the frame
   * magic byte means binary frames; anything else makes a text session, as
   * does {@link Session.startText}.
   */
  feed(chunk: Uint8Array): void {
    this.#input.feed(chunk);
  }

  /**
   * Make this a text session: no HELLO, the first line is the name. A
   * stream transport calls it when a new connection stayed quiet for a
   * moment (a person with `nc` waits to be asked); `feed` calls it when the
   * first byte is not the frame magic. Does nothing once a mode is chosen.
   */
  startText(options: TextOptions = {}): void {
    this.#input.startText(options);
  }

  /** @internal Write a text-mode line (a prompt, help) to this member. */
  write(out: Outgoing): void {
    if (this.#commands.state === "closed") return;
    if (!this.#out.put(out)) this.drop("slow_consumer");
  }

  /** @internal A text-mode name prompt was written. */
  prompted(): void {
    if (++this.#prompts <= JOIN_PROMPTS) this.waitingSince = this.#chat.now();
  }

  /** Handle one command from the member. */
  handle(cmd: Command): void {
    this.#commands.handle(cmd);
  }

  /** @internal A JOIN was answered: a text session prompts again on a refusal. */
  answered(result: Refusal | undefined): void {
    this.#input.answered(result);
  }

  /**
   * The bytes of an event for this session's stream: a binary frame, shared
   * with every other binary recipient of the same event.
   */
  encode(out: Outgoing): Uint8Array {
    return this.#input.encode(out);
  }

  /** Send an event to this member only. */
  send(event: ChatEvent): void {
    if (this.#commands.state === "closed") return;
    if (!this.#out.put(new Out(event))) this.drop("slow_consumer");
  }

  /** Queue a shared event (fan-out); false when the buffer is full. */
  deliver(out: Outgoing): boolean {
    return this.#commands.state === "closed" || this.#out.put(out);
  }

  /**
   * @internal Hold what is sent to this member until {@link Session.greet}:
   * its WELCOME is being looked up (in the cluster), and nothing may reach
   * it before that. At most `MAX_HELD` events are held; one more
   * makes it a slow consumer.
   */
  hold(): void {
    this.#out.hold();
  }

  /**
   * @internal Send the WELCOME, with the resume fields for a resumable
   * member, then `replay` (a resume's missed events), then `then` (the
   * room's history) and everything held.
   */
  greet(
    welcome: WelcomeEvent,
    then: readonly Outgoing[] = [],
    replay?: Replay,
  ): void {
    if (this.#commands.state === "closed") return;
    const out = this.#resume.welcome(
      welcome,
      this.#out,
      this.#commands.version,
      this.#chat.limits.resumeGraceMs,
      replay,
    );
    const again = replay ?? { seq: 0, events: [] };
    if (!this.#out.release(out, again, then)) this.drop("slow_consumer");
  }

  /** The resume token, once this member is resumable and in a room. */
  get token(): string | undefined {
    return this.#resume.token;
  }

  /** True while the member's connection is gone and its grace period runs. */
  get detached(): boolean {
    return this.#life.detachedAt !== undefined;
  }

  /** Since when the member's connection is gone (chat clock), if it is. */
  get detachedAt(): number | undefined {
    return this.#life.detachedAt;
  }

  /**
   * @internal The member enters a room (not a repeated WELCOME): a
   * resumable one gets its token and starts (or restarts) its log.
   */
  entering(): void {
    if (this.#input.text || !this.#resume.shows(this.#commands.version)) {
      return;
    }
    const limits = this.#chat.limits;
    this.#resume.enter(
      this.#out,
      { events: limits.replayEvents, bytes: limits.outboundBytes },
      (given) => this.#chat.token(this, given),
    );
  }

  /**
   * @internal Give this member's place to a session that resumes it: this
   * session ends without a leave (its connection, if still open, is told
   * and closed), and its token and log go to the other.
   */
  handOff():
    | { membership: Membership; token: string; log: SentLog }
    | undefined {
    return this.#life.handOff();
  }

  /** @internal Take over a resumed member's token and log. */
  adopt(token: string, log: SentLog): void {
    this.#resume.adopt(this.#out, token, log);
  }

  /**
   * The events after number `seen` that this member was sent (kept for a
   * resume), or undefined for a member that is not resumable.
   */
  sentAfter(seen: number): Replay | undefined {
    return this.#out.log?.after(seen);
  }

  /** The number of the last event sent to a resumable member, else 0. */
  get seq(): number {
    return this.#out.log?.seq ?? 0;
  }

  /**
   * Tell the member about a refusal; the session goes on, unless it drew
   * more than `maxRefusals` within `refusalWindowMs`: then it is cut with
   * the fatal `TOO_MANY_ERRORS`, and what it sent after is not looked at.
   */
  error(code: ErrorCodeName, message: string): void {
    this.#life.refuse(code, message);
  }

  /** Tell the member about an error and close the connection. */
  fail(code: ErrorCodeName, message: string): void {
    this.#life.fail(code, message);
  }

  /**
   * Remove the member on the server's side: others are told it left with
   * `reason`, the member itself is told too (unless it is too slow to be
   * told anything), and the connection is closed. A resumable member that
   * timed out waits for its grace period first, told nothing.
   */
  drop(reason: LeaveReason): void {
    this.#life.drop(reason);
  }

  /**
   * Once this session has left, where its name's release is a write to a
   * shared store (isolates, Redis): a promise that settles when the name is
   * free on every node and the member has been told (and its connection
   * closed). Undefined when there is nothing to wait for (in memory, or the
   * session has not ended). A transport that closes a connection when its
   * session ends waits for it, so that the member's `left` is written.
   */
  released(): Promise<void> | undefined {
    return this.#life.released;
  }

  /**
   * The transport lost the connection: leave with reason `disconnect`, or,
   * for a resumable member, wait for it to come back within the grace
   * period.
   */
  close(): void {
    this.#life.close();
  }

  /** @internal The grace period of a detached member is over: it leaves. */
  expire(): void {
    this.#life.expire();
  }

  /** @internal End without telling others (server shutdown). */
  shutdown(): void {
    this.#life.shutdown();
  }
}
