/**
 * The protocol state machine of a session, the same for every transport:
 * HELLO (binary streams), JOIN, SAY, WHO, LEAVE, PING, RESUME and RECALL
 * (docs/protocol.md, "History and resume"). It keeps where the
 * session is in its life, its place in a room, and the rate limit on moves,
 * messages and WHO; the answer to a JOIN or RESUME, and the commands that
 * wait for it, are core/join_answer.ts. The connection side (bytes in,
 * events out, the end) is core/session.ts.
 *
 * @module
 */

import { utf8Length } from "./_bytes.ts";
import type {
  ChatInternals,
  Membership,
  SessionState,
} from "./chat_internals.ts";
import { type Command, LATEST_VERSION, PROTOCOL_VERSION } from "./codec/mod.ts";
import type { ErrorCodeName, Refusal } from "./errors.ts";
import type { ChatEvent, LeaveReason } from "./events.ts";
import { RateBucket } from "./datagram/rate_bucket.ts";
import { JoinAnswer, type Protocol } from "./join_answer.ts";
import { checkName, checkRoom } from "./names.ts";

export type { SessionState } from "./chat_internals.ts";

/** Software name sent in HELLO_OK. */
export const SOFTWARE = "roomcast/0.1";

/** What the command handlers need of their session. */
export interface CommandHost {
  /** When the session last sent anything (chat clock); each command sets it. */
  lastSeen: number;
  /** Its resume token, once resumable and in a room. */
  readonly token: string | undefined;
  /** Tell the member about a refusal; the session goes on. */
  error(code: ErrorCodeName, message: string): void;
  /** Tell the member about an error and close the connection. */
  fail(code: ErrorCodeName, message: string): void;
  /** Send an event to this member only. */
  send(event: ChatEvent): void;
  /** Remove the member on the server's side. */
  drop(reason: LeaveReason): void;
  /** A JOIN was answered (a text session asks again for a refused name). */
  answered(result: Refusal | undefined): void;
}

/** Options of {@link Commands}. */
export interface CommandsOptions {
  /** The session must start with HELLO (binary streams). */
  hello: boolean;
  /** When the session was made (chat clock): the rate limit counts from here. */
  since: number;
}

/**
 * @internal One session's protocol state and its command handlers. `S` is
 * the session type (`Session` in core/session.ts), handed to the chat with
 * each command.
 */
export class Commands<S extends CommandHost> {
  readonly #host: S;
  readonly #chat: ChatInternals<S>;
  readonly #needsHello: boolean;
  readonly #p: Protocol;
  #version = PROTOCOL_VERSION;
  readonly #answer: JoinAnswer<S>;
  readonly #bucket: RateBucket;

  /**
   * Create a new instance.
   * @param host The session.
   * @param chat Its chat.
   * @param options HELLO and start time.
   */
  constructor(host: S, chat: ChatInternals<S>, options: CommandsOptions) {
    this.#host = host;
    this.#chat = chat;
    this.#needsHello = options.hello;
    this.#p = {
      state: options.hello ? "new" : "ready",
      membership: undefined,
    };
    this.#answer = new JoinAnswer<S>({
      host,
      chat,
      protocol: this.#p,
      handler: this,
    });
    const { messagesPerSecond: rate, messageBurst: burst } = chat.limits;
    this.#bucket = new RateBucket(rate, burst, options.since);
  }

  /** Where the session is in its life. */
  get state(): SessionState {
    return this.#p.state;
  }

  /** The member's place, once joined. */
  get membership(): Membership | undefined {
    return this.#p.membership;
  }

  /** The protocol version the client said in HELLO (1 without one). */
  get version(): number {
    return this.#version;
  }

  /** A text session needs no HELLO. */
  skipHello(): void {
    if (this.#p.state === "new") this.#p.state = "ready";
  }

  /** A binary client that was slow to speak got the text prompt: it still owes HELLO. */
  expectHello(): void {
    if (this.#needsHello && this.#p.state === "ready") this.#p.state = "new";
  }

  /**
   * The session ends: no membership, no waiting commands.
   *
   * @returns The membership it had, if any.
   */
  end(): Membership | undefined {
    this.#p.state = "closed";
    const m = this.#p.membership;
    this.#p.membership = undefined;
    this.#answer.clear();
    return m;
  }

  /** Handle one command from the member. */
  handle(cmd: Command): void {
    if (this.#p.state === "closed") return;
    this.#host.lastSeen = this.#chat.now();
    if (this.#p.state === "joining") {
      this.#answer.enqueue(cmd);
      return;
    }
    if (this.#p.state === "new" && cmd.type !== "hello") {
      this.#host.fail(
        "HELLO_REQUIRED",
        "Cannot accept frame: send HELLO first",
      );
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
        return this.#host.drop("quit");
      case "ping":
        this.#host.send({ type: "pong", nonce: cmd.nonce });
        return;
      case "resume":
        return this.#resume(cmd.token, cmd.seen);
      case "recall": {
        const m = this.#p.membership;
        if (m === undefined) {
          this.#host.error(
            "NOT_JOINED",
            "Cannot show history: join a room first",
          );
        } else if (this.#rateOk("show history")) {
          this.#chat.recall(this.#host, m);
        }
        return;
      }
    }
  }

  #hello(version: number): void {
    if (version < PROTOCOL_VERSION || version > LATEST_VERSION) {
      this.#host.fail(
        "UNSUPPORTED_VERSION",
        `Cannot speak protocol version ${version}: this server speaks ${PROTOCOL_VERSION} to ${LATEST_VERSION}`,
      );
      return;
    }
    if (this.#p.state === "new") this.#p.state = "ready";
    this.#version = version;
    const limits = this.#chat.limits;
    this.#host.send({
      type: "hello_ok",
      version,
      software: SOFTWARE,
      maxFrame: limits.maxFrameSize,
      maxMessage: limits.maxMessageBytes,
    });
  }

  #join(room: string, name: string): void {
    // Moving is rate-limited like messages: each move tells two rooms. A
    // JOIN of the room and name one already has is not a move.
    const m = this.#p.membership;
    if (m && !sameMembership(m, room, name, this.#chat.limits.maxNameLength)) {
      if (!this.#rateOk("move")) return;
    }
    this.#answer.await(this.#chat.join(this.#host, room, name), "join");
  }

  #resume(token: string, seen: number): void {
    const m = this.#p.membership;
    if (m !== undefined && token === this.#host.token) {
      // Its own token again (the answer was lost): WELCOME again.
      this.#chat.welcome(this.#host, m);
      return;
    }
    if (m !== undefined) {
      this.#host.error(
        "RESUME_FAILED",
        `Cannot resume: this session is already in room "${m.room}"`,
      );
      return;
    }
    this.#answer.await(this.#chat.resume(this.#host, token, seen), "resume");
  }

  #say(text: string): void {
    const m = this.#p.membership;
    if (m === undefined) {
      this.#host.error("NOT_JOINED", "Cannot send message: join a room first");
      return;
    }
    const limits = this.#chat.limits;
    if (text.trim() === "") {
      this.#host.error("MESSAGE_EMPTY", "Cannot send message: it is empty");
      return;
    }
    // Quick bound first: UTF-8 needs at most three bytes per UTF-16 unit.
    if (text.length * 3 > limits.maxMessageBytes) {
      const bytes = utf8Length(text);
      if (bytes > limits.maxMessageBytes) {
        this.#host.error(
          "MESSAGE_TOO_LONG",
          `Cannot send message: ${bytes} bytes exceeds the limit of ${limits.maxMessageBytes}`,
        );
        return;
      }
    }
    if (!this.#rateOk("send message")) return;
    this.#chat.say(this.#host, m, text);
  }

  /** Take a token from the member's bucket, or tell it why not. */
  #rateOk(what: string): boolean {
    if (this.#bucket.take(this.#host.lastSeen)) return true;
    this.#host.error(
      "RATE_LIMITED",
      `Cannot ${what}: more than ${this.#chat.limits.messagesPerSecond} per second`,
    );
    return false;
  }

  #who(room: string): void {
    const target = room === "" ? this.#p.membership?.room : room;
    if (target === undefined) {
      this.#host.error("NOT_JOINED", "Cannot list members: join a room first");
      return;
    }
    if (!this.#rateOk("list members")) return;
    this.#chat.who(this.#host, target);
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
