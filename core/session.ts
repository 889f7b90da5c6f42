/**
 * One member's connection as the core sees it: commands in, events out
 * through its {@link Peer}. The protocol state machine lives here, the same
 * for every transport: HELLO (binary streams), JOIN, SAY, WHO, LEAVE, PING.
 *
 * @module
 */

import {
  type Command,
  FrameDecoder,
  isCommand,
  MAGIC,
  PROTOCOL_VERSION,
} from "./codec/mod.ts";
import type { ErrorCodeName, Refusal } from "./errors.ts";
import { FrameError } from "./errors.ts";
import { utf8Length } from "./_bytes.ts";
import { checkName, checkRoom } from "./names.ts";
import type { ChatEvent, LeaveReason } from "./events.ts";
import type { Lang } from "./text/render.ts";
import { type Outgoing, Outgoing as Out, type Peer } from "./peer.ts";
import type { RoomMember } from "./room.ts";
import type { ChatInternals, Membership } from "./chat_internals.ts";
import { type TextHost, TextMode } from "./text/mode.ts";

/** Where a session is in its life. */
export type SessionState = "new" | "ready" | "joining" | "joined" | "closed";

/** Options for one connection, given by its transport. */
export interface ConnectOptions {
  /** Transport name for logs and metrics, such as `"tcp"`. */
  transport: string;
  /** Remote address for logs. */
  remote?: string;
  /** Binary streams must start with HELLO. @default {false} */
  hello?: boolean;
  /**
   * Remove the member after this much silence, in ms (datagram and HTTP
   * sessions, which have no connection to lose). @default {0} (never)
   */
  idleTimeoutMs?: number;
  /** Language for rendered text, where the transport renders text. @default {"en"} */
  lang?: Lang;
}

/** Options of {@link Session.startText}. */
export interface TextOptions {
  /** Write the name prompt now (streams, after a quiet start). @default {true} */
  prompt?: boolean;
  /** Each chunk fed is one datagram, ending any line in it. @default {false} */
  datagram?: boolean;
}

/** Most events held for a member while its WELCOME is looked up. */
export const MAX_HELD = 4096;

/** Refusals of one session written to the log; later ones are only counted. */
export const LOGGED_REFUSALS = 20;

/** Software name sent in HELLO_OK. */
export const SOFTWARE = "roomcast/0.1";

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
  #state: SessionState;
  #membership: Membership | undefined;
  #decoder: FrameDecoder | undefined;
  #queue: Command[] | undefined;
  #held: Outgoing[] | undefined;
  #text: TextMode | undefined;
  readonly #needsHello: boolean;
  #tokens: number;
  #refill: number;
  #refusals = 0;

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
    this.#needsHello = options.hello ?? false;
    this.#state = options.hello ? "new" : "ready";
    this.#tokens = chat.limits.messageBurst;
    this.#refill = this.connectedAt;
  }

  /** Where the session is in its life. */
  get state(): SessionState {
    return this.#state;
  }

  /** Display name once joined. */
  get name(): string {
    return this.#membership?.name ?? "";
  }

  /** @internal The member's place, once joined. */
  get membership(): Membership | undefined {
    return this.#membership;
  }

  /** Room name once joined. */
  get room(): string | undefined {
    return this.#membership?.room;
  }

  /** True for a text session (lines in, rendered lines out). */
  get text(): boolean {
    return this.#text !== undefined;
  }

  /**
   * Bytes from a stream transport. The first byte picks the mode: the frame
   * magic byte means binary frames; anything else makes a text session
   * (core/text/mode.ts), as does {@link Session.startText}.
   */
  feed(chunk: Uint8Array): void {
    if (this.#state === "closed" || chunk.length === 0) return;
    let decoder = this.#decoder;
    if (decoder === undefined) {
      const text = this.#text;
      if (text !== undefined) {
        // A binary client that was slow to speak got the prompt: let it in.
        if (chunk[0] === MAGIC && !text.received && !text.joined) {
          this.#text = undefined;
          if (this.#needsHello && this.#state === "ready") this.#state = "new";
        } else {
          text.feed(chunk);
          return;
        }
      } else if (chunk[0] !== MAGIC) {
        this.startText({ prompt: false });
        this.#text?.feed(chunk);
        return;
      }
      decoder = this.#decoder = new FrameDecoder({
        maxFrameSize: this.#chat.limits.maxFrameSize,
      });
    }
    const items = decoder.push(chunk);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (this.state === "closed") return;
      if (item instanceof FrameError) {
        // Only a framing error (always the last item) breaks the stream.
        const fatal = decoder.failed && i === items.length - 1;
        if (fatal || this.state === "new") this.fail(item.code, item.message);
        else this.error(item.code, item.message);
      } else if (isCommand(item)) {
        this.handle(item);
      } else if (this.state === "new") {
        this.fail("HELLO_REQUIRED", "Cannot accept frame: send HELLO first");
      } else {
        this.error(
          "UNKNOWN_TYPE",
          `Cannot accept frame "${item.type}": it is not a command on this transport`,
        );
      }
    }
  }

  /**
   * Make this a text session: no HELLO, the first line is the name. A
   * stream transport calls it when a new connection stayed quiet for a
   * moment (a person with `nc` waits to be asked); `feed` calls it when the
   * first byte is not the frame magic. Does nothing once a mode is chosen.
   */
  startText(options: TextOptions = {}): void {
    if (
      this.#state === "closed" || this.#decoder !== undefined ||
      this.#text !== undefined
    ) return;
    this.#text = new TextMode(this, {
      maxLineBytes: this.#chat.limits.maxMessageBytes,
      maxHeld: this.#chat.limits.pendingCommands,
      datagram: options.datagram ?? false,
    });
    if (this.#state === "new") this.#state = "ready";
    if (options.prompt ?? true) this.#text.prompt();
  }

  /** @internal Write a text-mode line (a prompt, help) to this member. */
  write(out: Outgoing): void {
    if (this.#state === "closed") return;
    if (!this.#put(out)) this.drop("slow_consumer");
  }

  /** @internal A text-mode name prompt was written. */
  prompted(): void {
    this.waitingSince = this.#chat.now();
  }

  /** Handle one command from the member. */
  handle(cmd: Command): void {
    if (this.#state === "closed") return;
    this.lastSeen = this.#chat.now();
    if (this.#state === "joining") {
      this.#enqueue(cmd);
      return;
    }
    if (this.#state === "new" && cmd.type !== "hello") {
      this.fail("HELLO_REQUIRED", "Cannot accept frame: send HELLO first");
      return;
    }
    switch (cmd.type) {
      case "hello":
        return this.#hello(cmd.version);
      case "join":
        return this.#join(cmd.room, cmd.name);
      case "say":
        return this.#say(cmd.text);
      case "who":
        return this.#who(cmd.room);
      case "leave":
        return this.drop("quit");
      case "ping":
        this.send({ type: "pong", nonce: cmd.nonce });
        return;
    }
  }

  #hello(version: number): void {
    if (version !== PROTOCOL_VERSION) {
      this.fail(
        "UNSUPPORTED_VERSION",
        `Cannot speak protocol version ${version}: this server speaks ${PROTOCOL_VERSION}`,
      );
      return;
    }
    if (this.#state === "new") this.#state = "ready";
    const limits = this.#chat.limits;
    this.send({
      type: "hello_ok",
      version: PROTOCOL_VERSION,
      software: SOFTWARE,
      maxFrame: limits.maxFrameSize,
      maxMessage: limits.maxMessageBytes,
    });
  }

  #join(room: string, name: string): void {
    // Moving is rate-limited like messages: each move tells two rooms. A
    // JOIN of the room and name one already has is not a move.
    const m = this.#membership;
    if (m && !sameMembership(m, room, name, this.#chat.limits.maxNameLength)) {
      if (!this.#rateOk("move")) return;
    }
    const previous = this.#state;
    const answer = this.#chat.join(this, room, name);
    if (answer instanceof Promise) {
      this.#state = "joining";
      answer.then(
        (result) => this.#joined(result, previous),
        () =>
          this.#joined({
            code: "UNAVAILABLE",
            message: "Cannot join: the cluster did not answer",
          }, previous),
      );
    } else {
      this.#joined(answer, previous);
    }
  }

  #joined(result: Membership | Refusal, previous: SessionState): void {
    if (this.#state === "closed") {
      // Never entered the room: give the claim back without a leave.
      if ("key" in result) this.#chat.forget(this, result, "disconnect");
      return;
    }
    if ("code" in result) {
      this.#state = previous;
      this.error(result.code, result.message);
      this.#text?.answered(result);
    } else {
      const old = this.#membership;
      this.#state = "joined";
      if (old === result) {
        this.#chat.welcome(this, result);
      } else {
        if (old) this.#chat.leave(this, old, "moved");
        this.#membership = result;
        this.#chat.enter(this, result);
      }
      this.#text?.answered(undefined);
    }
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue) { for (const cmd of queue) this.handle(cmd); }
  }

  #enqueue(cmd: Command): void {
    this.#queue ??= [];
    if (this.#queue.length >= this.#chat.limits.pendingCommands) {
      this.error(
        "JOIN_PENDING",
        `Cannot queue ${cmd.type}: a JOIN is still being decided`,
      );
      return;
    }
    this.#queue.push(cmd);
  }

  #say(text: string): void {
    const m = this.#membership;
    if (m === undefined) {
      this.error("NOT_JOINED", "Cannot send message: join a room first");
      return;
    }
    const limits = this.#chat.limits;
    if (text.trim() === "") {
      this.error("MESSAGE_EMPTY", "Cannot send message: it is empty");
      return;
    }
    // Quick bound first: UTF-8 needs at most three bytes per UTF-16 unit.
    if (text.length * 3 > limits.maxMessageBytes) {
      const bytes = utf8Length(text);
      if (bytes > limits.maxMessageBytes) {
        this.error(
          "MESSAGE_TOO_LONG",
          `Cannot send message: ${bytes} bytes exceeds the limit of ${limits.maxMessageBytes}`,
        );
        return;
      }
    }
    if (!this.#rateOk("send message")) return;
    this.#chat.say(this, m, text);
  }

  /** Take a token from the member's bucket, or tell it why not. */
  #rateOk(what: string): boolean {
    const { messagesPerSecond: rate, messageBurst: burst } = this.#chat.limits;
    if (this.#takeToken(rate, burst)) return true;
    this.error(
      "RATE_LIMITED",
      `Cannot ${what}: more than ${rate} per second`,
    );
    return false;
  }

  #takeToken(rate: number, burst: number): boolean {
    if (rate === 0) return true;
    const now = this.lastSeen;
    this.#tokens = Math.min(
      burst,
      this.#tokens + ((now - this.#refill) * rate) / 1000,
    );
    this.#refill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #who(room: string): void {
    const target = room === "" ? this.#membership?.room : room;
    if (target === undefined) {
      this.error("NOT_JOINED", "Cannot list members: join a room first");
      return;
    }
    if (!this.#rateOk("list members")) return;
    this.#chat.who(this, target);
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
    if (this.#state === "closed") return;
    if (!this.#put(new Out(event))) this.drop("slow_consumer");
  }

  /** Queue a shared event (fan-out); false when the buffer is full. */
  deliver(out: Outgoing): boolean {
    return this.#state === "closed" || this.#put(out);
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
      if (this.#state === "closed") return;
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
    if (this.#state === "closed") return;
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
    if (this.#state === "closed") return;
    const m = this.#membership;
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
    if (this.#state === "closed") return;
    const m = this.#membership;
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
    this.#state = "closed";
    this.#membership = undefined;
    this.#queue = undefined;
    this.#held = undefined;
    this.#chat.forget(this, m, "shutdown");
    this.#peer.close(true);
  }

  #end(reason: LeaveReason, closePeer: boolean): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const m = this.#membership;
    this.#membership = undefined;
    this.#queue = undefined;
    this.#held = undefined;
    if (m) this.#chat.leave(this, m, reason);
    this.#chat.forget(this, undefined, reason);
    if (reason === "slow_consumer") this.#peer.close(false);
    else if (closePeer) this.#peer.close(true);
  }
}

function sameMembership(
  m: Membership,
  room: string,
  name: string,
  maxNameLength: number,
): boolean {
  const r = checkRoom(room), n = checkName(name, maxNameLength);
  return r.ok && n.ok && r.name === m.room && n.key === m.key;
}
