/**
 * One member's connection as the core sees it: bytes or commands in, events
 * out through its {@link Peer}, and how it ends. The first byte of a stream
 * picks binary frames or text lines (core/text/mode.ts); either way the
 * commands go to the protocol state machine (core/commands.ts), the same for
 * every transport.
 *
 * @module
 */

import type { ChatInternals, Membership } from "./chat_internals.ts";
import { type Command, encodeFrame, MAGIC } from "./codec/mod.ts";
import { Commands, type SessionState } from "./commands.ts";
import type { ErrorCodeName, Refusal } from "./errors.ts";
import type { ChatEvent, LeaveReason, WelcomeEvent } from "./events.ts";
import { FrameMode } from "./frame_mode.ts";
import { Outbound } from "./outbound.ts";
import { type Outgoing, Outgoing as Out, type Peer } from "./peer.ts";
import type { RoomMember } from "./room.ts";
import { type Replay, SentLog, type SentLogBounds } from "./sent_log.ts";
import type { ConnectOptions, TextOptions } from "./session_options.ts";
import type { Lang } from "./text/render.ts";
import { type TextHost, TextMode } from "./text/mode.ts";

export { type SessionState, SOFTWARE } from "./commands.ts";
export type { ConnectOptions, TextOptions } from "./session_options.ts";
export { MAX_HELD } from "./outbound.ts";

/** Refusals of one session written to the log; later ones are only counted. */
export const LOGGED_REFUSALS = 20;

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
  /** Since when the member's connection is gone (chat clock), if it is. */
  detachedAt: number | undefined;
  /** Why the connection went away, for the leave when the grace runs out. */
  detachReason: "disconnect" | "timeout" = "disconnect";

  readonly #chat: ChatInternals<Session>;
  readonly #out: Outbound;
  readonly #commands: Commands<Session>;
  readonly #resumable: boolean;
  readonly #givenToken: string | undefined;
  #token: string | undefined;
  #adopted = false;
  #frames: FrameMode | undefined;
  #text: TextMode | undefined;
  #refusals = 0;

  /** @internal Made by `Chat.connect`. */
  constructor(
    chat: ChatInternals<Session>,
    peer: Peer,
    id: number,
    options: ConnectOptions,
  ) {
    this.#chat = chat;
    this.#out = new Outbound(peer);
    this.#resumable = options.resumable ?? false;
    this.#givenToken = options.token;
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
    return this.#text !== undefined;
  }

  /**
   * Bytes from a stream transport. The first byte picks the mode: the frame
   * magic byte means binary frames (core/frame_mode.ts); anything else makes
   * a text session (core/text/mode.ts), as does {@link Session.startText}.
   */
  feed(chunk: Uint8Array): void {
    if (this.#commands.state === "closed" || chunk.length === 0) return;
    let frames = this.#frames;
    if (frames === undefined) {
      const text = this.#text;
      if (text !== undefined) {
        // A binary client that was slow to speak got the prompt: let it in.
        if (chunk[0] === MAGIC && !text.received && !text.joined) {
          this.#text = undefined;
          this.#commands.expectHello();
        } else {
          text.feed(chunk);
          return;
        }
      } else if (chunk[0] !== MAGIC) {
        this.startText({ prompt: false });
        this.#text?.feed(chunk);
        return;
      }
      frames = this.#frames = new FrameMode(this, {
        maxFrameSize: this.#chat.limits.maxFrameSize,
      });
    }
    frames.feed(chunk);
  }

  /**
   * Make this a text session: no HELLO, the first line is the name. A
   * stream transport calls it when a new connection stayed quiet for a
   * moment (a person with `nc` waits to be asked); `feed` calls it when the
   * first byte is not the frame magic. Does nothing once a mode is chosen.
   */
  startText(options: TextOptions = {}): void {
    if (
      this.#commands.state === "closed" || this.#frames !== undefined ||
      this.#text !== undefined
    ) return;
    this.#text = new TextMode(this, {
      maxLineBytes: this.#chat.limits.maxMessageBytes,
      maxHeld: this.#chat.limits.pendingCommands,
      datagram: options.datagram ?? false,
    });
    this.#commands.skipHello();
    if (options.prompt ?? true) this.#text.prompt();
  }

  /** @internal Write a text-mode line (a prompt, help) to this member. */
  write(out: Outgoing): void {
    if (this.#commands.state === "closed") return;
    if (!this.#out.put(out)) this.drop("slow_consumer");
  }

  /** @internal A text-mode name prompt was written. */
  prompted(): void {
    this.waitingSince = this.#chat.now();
  }

  /** Handle one command from the member. */
  handle(cmd: Command): void {
    this.#commands.handle(cmd);
  }

  /** @internal A JOIN was answered: a text session prompts again on a refusal. */
  answered(result: Refusal | undefined): void {
    this.#text?.answered(result);
  }

  /**
   * The bytes of an event for this session's stream: a binary frame, shared
   * with every other binary recipient of the same event.
   */
  encode(out: Outgoing): Uint8Array {
    return this.#text === undefined ? out.binary() : out.line(this.lang);
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
    const log = this.#out.log;
    const token = this.#token;
    let out = new Out(welcome);
    if (log !== undefined && token !== undefined && this.#showsResume()) {
      const event = {
        ...welcome,
        resume: {
          token,
          graceMs: this.#chat.limits.resumeGraceMs,
          seq: replay?.seq ?? log.seq,
          lost: replay?.lost ?? 0,
        },
      };
      // Below version 2 the binary WELCOME has no resume fields (JSON has).
      out = this.#commands.version >= 2
        ? new Out(event)
        : new Out(event, encodeFrame(welcome));
    }
    const again = replay ?? { seq: 0, events: [] };
    if (!this.#out.release(out, again, then)) this.drop("slow_consumer");
  }

  /**
   * Resume fields go to version 2 clients, to sessions made resumable, and
   * to sessions that resumed.
   */
  #showsResume(): boolean {
    return this.#resumable || this.#adopted || this.#commands.version >= 2;
  }

  /** The resume token, once this member is resumable and in a room. */
  get token(): string | undefined {
    return this.#token;
  }

  /** True while the member's connection is gone and its grace period runs. */
  get detached(): boolean {
    return this.detachedAt !== undefined;
  }

  /**
   * @internal The member enters a room (not a repeated WELCOME): a
   * resumable one gets its token and starts (or restarts) its log.
   */
  entering(): void {
    if (this.#text !== undefined || !this.#showsResume()) return;
    this.#token ??= this.#chat.token(this, this.#givenToken);
    const log = this.#out.log;
    if (log === undefined) this.#out.log = new SentLog(this.#logBounds());
    else log.restart();
  }

  #logBounds(): SentLogBounds {
    const limits = this.#chat.limits;
    return { events: limits.replayEvents, bytes: limits.outboundBytes };
  }

  /**
   * @internal Give this member's place to a session that resumes it: this
   * session ends without a leave (its connection, if still open, is told
   * and closed), and its token and log go to the other.
   */
  handOff():
    | { membership: Membership; token: string; log: SentLog }
    | undefined {
    const log = this.#out.log, token = this.#token;
    const m = this.#commands.membership;
    if (
      this.#commands.state === "closed" || m === undefined ||
      log === undefined || token === undefined
    ) return undefined;
    this.#out.direct(
      new Out({
        type: "error",
        code: "RESUME_FAILED",
        message: "Cannot go on: this session was resumed on another connection",
        fatal: true,
      }),
    );
    this.#commands.end();
    this.#out.end();
    this.#token = undefined;
    this.#out.detach()?.close(true);
    this.#chat.forget(this, undefined, "resumed");
    return { membership: m, token, log };
  }

  /** @internal Take over a resumed member's token and log. */
  adopt(token: string, log: SentLog): void {
    this.#token = token;
    this.#adopted = true;
    this.#out.log = log;
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
   * @internal The member's connection is gone for now: keep its place for
   * the grace period, logging what it is sent. A `timeout` closes the
   * connection that went silent.
   */
  #detach(reason: "disconnect" | "timeout"): void {
    const peer = this.#out.detach();
    this.detachedAt = this.#chat.now();
    this.detachReason = reason;
    this.#chat.detach(this, reason);
    if (reason === "timeout") peer?.close(true);
  }

  /** Whether the member can wait for its connection to come back. */
  #canDetach(): boolean {
    return this.#commands.state === "joined" && this.#token !== undefined &&
      this.#out.log !== undefined && this.#out.attached &&
      this.#chat.limits.resumeGraceMs > 0 && !this.#chat.closing;
  }

  /** Tell the member about a refusal; the session goes on. */
  error(code: ErrorCodeName, message: string): void {
    // A client that floods bad input must not flood the operator's log:
    // the first refusals are logged, the rest only counted.
    const n = ++this.#refusals;
    this.#chat.log({
      event: "refused",
      session: this.id,
      code,
      message,
      ...(n === LOGGED_REFUSALS ? { more: "not logged" } : {}),
      ...(n > LOGGED_REFUSALS ? { quiet: true } : {}),
    });
    this.send({ type: "error", code, message, fatal: false });
  }

  /** Tell the member about an error and close the connection. */
  fail(code: ErrorCodeName, message: string): void {
    if (this.#commands.state === "closed") return;
    this.#chat.log({ event: "error", session: this.id, code, message });
    this.#out.direct(new Out({ type: "error", code, message, fatal: true }));
    this.#end("disconnect", true);
  }

  /**
   * Remove the member on the server's side: others are told it left with
   * `reason`, the member itself is told too (unless it is too slow to be
   * told anything), and the connection is closed. A resumable member that
   * timed out waits for its grace period first, told nothing.
   */
  drop(reason: LeaveReason): void {
    if (this.#commands.state === "closed") return;
    if (reason === "timeout" && this.#canDetach()) {
      this.#detach("timeout");
      return;
    }
    const m = this.#commands.membership;
    if (reason !== "slow_consumer" && m) {
      this.#out.direct(
        new Out({ type: "left", room: m.room, name: m.name, reason }),
      );
    }
    this.#end(reason, reason !== "slow_consumer");
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

  /** @internal The grace period of a detached member is over: it leaves. */
  expire(): void {
    this.#end(this.detachReason, false);
  }

  /** @internal End without telling others (server shutdown). */
  shutdown(): void {
    if (this.#commands.state === "closed") return;
    const m = this.#commands.membership;
    if (m) {
      this.#out.direct(
        new Out({
          type: "left",
          room: m.room,
          name: m.name,
          reason: "shutdown",
        }),
      );
    } else {
      this.#out.direct(
        new Out({
          type: "error",
          code: "SHUTTING_DOWN",
          message: "Cannot go on: the server is shutting down",
          fatal: true,
        }),
      );
    }
    this.#commands.end();
    this.#out.end();
    this.#chat.forget(this, m, "shutdown");
    this.#out.detach()?.close(true);
  }

  #end(reason: LeaveReason, closePeer: boolean): void {
    if (this.#commands.state === "closed") return;
    const m = this.#commands.end();
    this.#out.end();
    if (m) this.#chat.leave(this, m, reason);
    this.#chat.forget(this, undefined, reason);
    const peer = this.#out.detach();
    if (reason === "slow_consumer") peer?.close(false);
    else if (closePeer) peer?.close(true);
  }
}
