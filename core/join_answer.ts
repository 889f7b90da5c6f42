/**
 * The answer to a session's JOIN or RESUME, now or once the cluster decides
 * (a claim over the network): the commands that come meanwhile wait, a
 * bounded few, and run once it is decided; the answer puts the session in
 * its room (leaving the one it was in), refuses it, or, when the session
 * closed meanwhile, gives back what it won. core/commands.ts owns one per
 * session and shares its protocol state with it.
 *
 * @module
 */

import type {
  ChatInternals,
  Membership,
  SessionState,
} from "./chat_internals.ts";
import type { Command } from "./codec/mod.ts";
import type { ErrorCodeName, Refusal } from "./errors.ts";

/**
 * @internal Where a session is in its life and its place in a room, shared
 * by its command handlers (core/commands.ts) and its {@link JoinAnswer}.
 */
export interface Protocol {
  /** Where the session is in its life. */
  state: SessionState;
  /** The member's place, once joined. */
  membership: Membership | undefined;
}

/** What a JOIN's answer needs of its session. */
export interface AnswerHost {
  /** Tell the member about a refusal; the session goes on. */
  error(code: ErrorCodeName, message: string): void;
  /** A JOIN was answered (a text session asks again for a refused name). */
  answered(result: Refusal | undefined): void;
}

/** The parts of a session a {@link JoinAnswer} works on. */
export interface AnswerParts<S> {
  /** The session, handed to the chat. */
  readonly host: S;
  /** Its chat. */
  readonly chat: ChatInternals<S>;
  /** Its protocol state, shared with its command handlers. */
  readonly protocol: Protocol;
  /** Handles one command (those that waited for the answer). */
  readonly handler: { handle(cmd: Command): void };
}

/** @internal The JOIN or RESUME a session waits for, and what waits with it. */
export class JoinAnswer<S extends AnswerHost> {
  readonly #host: S;
  readonly #chat: ChatInternals<S>;
  readonly #p: Protocol;
  readonly #handler: { handle(cmd: Command): void };
  #queue: Command[] | undefined;

  /** @param parts The session, its chat, its protocol state and handler. */
  constructor(parts: AnswerParts<S>) {
    this.#host = parts.host;
    this.#chat = parts.chat;
    this.#p = parts.protocol;
    this.#handler = parts.handler;
  }

  /** The answer to a JOIN or a RESUME, now or once the cluster decides. */
  await(
    answer: Membership | Refusal | Promise<Membership | Refusal>,
    what: "join" | "resume",
  ): void {
    const previous = this.#p.state;
    if (!(answer instanceof Promise)) {
      this.#joined(answer, previous, what);
      return;
    }
    this.#p.state = "joining";
    answer.then(
      (result) => this.#joined(result, previous, what),
      () =>
        this.#joined(
          {
            code: "UNAVAILABLE",
            message: `Cannot ${what}: the cluster did not answer`,
          },
          previous,
          what,
        ),
    );
  }

  #joined(
    result: Membership | Refusal,
    previous: SessionState,
    what: "join" | "resume",
  ): void {
    if (this.#p.state === "closed") {
      if ("key" in result) {
        // A JOIN never entered the room: its claim goes back without a
        // leave. A RESUME took a member over, then went: it leaves.
        if (what === "join") {
          this.#chat.forget(this.#host, result, "disconnect");
        } else this.#chat.leave(this.#host, result, "disconnect");
      }
      return;
    }
    if ("code" in result) {
      this.#p.state = previous;
      this.#host.error(result.code, result.message);
      this.#host.answered(result);
    } else {
      const old = this.#p.membership;
      this.#p.state = "joined";
      if (what === "resume") {
        this.#p.membership = result; // welcomed by the resume itself
      } else if (old === result) {
        this.#chat.welcome(this.#host, result);
      } else {
        if (old) this.#chat.leave(this.#host, old, "moved");
        this.#p.membership = result;
        this.#chat.enter(this.#host, result);
      }
      this.#host.answered(undefined);
    }
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue) { for (const cmd of queue) this.#handler.handle(cmd); }
  }

  /** A command that came while a JOIN is decided: it waits, bounded. */
  enqueue(cmd: Command): void {
    this.#queue ??= [];
    if (this.#queue.length >= this.#chat.limits.pendingCommands) {
      this.#host.error(
        "JOIN_PENDING",
        `Cannot queue ${cmd.type}: a JOIN is still being decided`,
      );
      return;
    }
    this.#queue.push(cmd);
  }

  /** The session ends: nothing waits any more. */
  clear(): void {
    this.#queue = undefined;
  }
}
