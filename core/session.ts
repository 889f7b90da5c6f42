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
import { type Command, MAGIC } from "./codec/mod.ts";
import { Commands, type SessionState } from "./commands.ts";
import type { ErrorCodeName, Refusal } from "./errors.ts";
import type { ChatEvent, LeaveReason } from "./events.ts";
import { FrameMode } from "./frame_mode.ts";
import { type Outgoing, Outgoing as Out, type Peer } from "./peer.ts";
import { LOGGED_REFUSALS, RefusalBudget } from "./refusal_budget.ts";
import type { RoomMember } from "./room.ts";
import type { ConnectOptions, TextOptions } from "./session_options.ts";
import type { Lang } from "./text/render.ts";
import { type TextHost, TextMode } from "./text/mode.ts";

export { type SessionState, SOFTWARE } from "./commands.ts";
export type { ConnectOptions, TextOptions } from "./session_options.ts";

/** Most events held for a member while its WELCOME is looked up. */
export const MAX_HELD = 4096;

export { LOGGED_REFUSALS } from "./refusal_budget.ts";

/**
 * Name prompts of a text session that start its join timeout again (the
 * first prompt and the retries after refused names). Later prompts do not:
 * a client cannot stay unjoined for ever by sending a refused name now and
 * then.
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
  readonly #peer: Peer;
  readonly #commands: Commands<Session>;
  #frames: FrameMode | undefined;
  #held: Outgoing[] | undefined;
  #text: TextMode | undefined;
  readonly #budget: RefusalBudget;
  #prompts = 0;

  /** @internal Made by `Chat.connect`. */
  constructor(
    chat: ChatInternals<Session>,
    peer: Peer,
    id: number,
    options: ConnectOptions,
  ) {
    this.#chat = chat;
    this.#peer = peer;
    this.id = id;
    this.transport = options.transport;
    this.remote = options.remote;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.lang = options.lang ?? "en";
    this.connectedAt = this.lastSeen = this.waitingSince = chat.now();
    const { maxRefusals, refusalWindowMs } = chat.limits;
    this.#budget = new RefusalBudget(
      maxRefusals,
      refusalWindowMs,
      this.connectedAt,
    );
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
    if (!this.#put(out)) this.drop("slow_consumer");
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
    if (!this.#put(new Out(event))) this.drop("slow_consumer");
  }

  /** Queue a shared event (fan-out); false when the buffer is full. */
  deliver(out: Outgoing): boolean {
    return this.#commands.state === "closed" || this.#put(out);
  }

  /**
   * @internal Hold what is sent to this member until {@link Session.unhold}:
   * its WELCOME is being looked up (in the cluster), and nothing may reach
   * it before that. At most {@link MAX_HELD} events are held; one more
   * makes it a slow consumer.
   */
  hold(): void {
    this.#held ??= [];
  }

  /** @internal Send `first` (the WELCOME), then everything held. */
  unhold(first: ChatEvent): void {
    const held = this.#held;
    this.#held = undefined;
    this.send(first);
    if (held === undefined) return;
    for (const out of held) {
      if (this.#commands.state === "closed") return;
      if (!this.#peer.send(out)) return this.drop("slow_consumer");
    }
  }

  #put(out: Outgoing): boolean {
    const held = this.#held;
    if (held === undefined) return this.#peer.send(out);
    if (held.length >= MAX_HELD) return false;
    held.push(out);
    return true;
  }

  /**
   * Tell the member about a refusal; the session goes on, unless it drew
   * more than `maxRefusals` within `refusalWindowMs`: then it is cut with
   * the fatal `TOO_MANY_ERRORS`, and what it sent after is not looked at.
   */
  error(code: ErrorCodeName, message: string): void {
    if (this.#commands.state === "closed") return;
    const budget = this.#budget;
    if (!budget.take(this.#chat.now())) {
      return this.fail("TOO_MANY_ERRORS", budget.cutMessage(code));
    }
    // A client that floods bad input must not flood the operator's log:
    // the first refusals are logged, the rest only counted.
    const n = budget.count;
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
    this.#peer.send(new Out({ type: "error", code, message, fatal: true }));
    this.#end("disconnect", true);
  }

  /**
   * Remove the member on the server's side: others are told it left with
   * `reason`, the member itself is told too (unless it is too slow to be
   * told anything), and the connection is closed.
   */
  drop(reason: LeaveReason): void {
    if (this.#commands.state === "closed") return;
    const m = this.#commands.membership;
    if (reason !== "slow_consumer" && m) {
      this.#peer.send(
        new Out({ type: "left", room: m.room, name: m.name, reason }),
      );
    }
    this.#end(reason, reason !== "slow_consumer");
  }

  /** The transport lost the connection: leave with reason `disconnect`. */
  close(): void {
    this.#end("disconnect", false);
  }

  /** @internal End without telling others (server shutdown). */
  shutdown(): void {
    if (this.#commands.state === "closed") return;
    const m = this.#commands.membership;
    if (m) {
      this.#peer.send(
        new Out({
          type: "left",
          room: m.room,
          name: m.name,
          reason: "shutdown",
        }),
      );
    } else {
      this.#peer.send(
        new Out({
          type: "error",
          code: "SHUTTING_DOWN",
          message: "Cannot go on: the server is shutting down",
          fatal: true,
        }),
      );
    }
    this.#commands.end();
    this.#held = undefined;
    this.#chat.forget(this, m, "shutdown");
    this.#peer.close(true);
  }

  #end(reason: LeaveReason, closePeer: boolean): void {
    if (this.#commands.state === "closed") return;
    const m = this.#commands.end();
    this.#held = undefined;
    if (m) this.#chat.leave(this, m, reason);
    this.#chat.forget(this, undefined, reason);
    if (reason === "slow_consumer") this.#peer.close(false);
    else if (closePeer) this.#peer.close(true);
  }
}
