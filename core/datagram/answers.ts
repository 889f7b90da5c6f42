/**
 * The two answers a datagram client must not lose, sans-IO (docs/protocol.md,
 * "Answers that must not be lost"). Server events are best effort, but the
 * answer to JOIN (WELCOME or a refusal) and to LEAVE decide what the client
 * does next:
 *
 * - JOIN is idempotent on the server (the same room and name is WELCOME
 *   again; a refusal changed nothing), so a JOIN whose datagram was
 *   acknowledged and whose answer has not come is sent again: at once when
 *   events were lost since, else after a wait. A repeated answer to a
 *   repeated JOIN is dropped here. RESUME is awaited the same way (the
 *   member's own token again is WELCOME again).
 * - LEAVE is done once the ACK covers its datagram, LEFT or not; a BAD_TOKEN
 *   after LEAVE means the server forgot the session: done as well.
 *
 * core/datagram/client.ts uses it; the send window (send_window.ts) says
 * which datagram carried which command.
 *
 * @module
 */

import type { Command } from "../codec/mod.ts";
import type { ChatEvent } from "../events.ts";
import type { SendWindow } from "./send_window.ts";

/** A JOIN command, or a RESUME (answered like one). */
export type JoinCommand = Command & { type: "join" | "resume" };

/** Shortest wait for an answer after its datagram was acknowledged, in ms. */
export const ANSWER_WAIT_MS = 1000;

/** A command whose answer is awaited. */
interface Awaited {
  /** The datagram that carried it, once sent. */
  seq: number | undefined;
  /** When its datagram was acknowledged (clock), once it was. */
  ackedAt: number | undefined;
  /** Events were lost since it was acknowledged. */
  lost: boolean;
}

/** The JOIN and LEAVE answers of one client. */
export class Answers {
  #join: (Awaited & { command: JoinCommand; tries: number }) | undefined;
  /** JOINs sent whose answers have not come (a newer one replaces older). */
  #unanswered = 0;
  #leave: Awaited | undefined;
  /** An answer already handed on, and how many repeats of it may come. */
  #echo: { event: ChatEvent; repeats: number } | undefined;
  /** The room and name of the latest WELCOME. */
  #me: { name: string; room: string } | undefined;

  /** True once a LEAVE was sent. */
  get leaving(): boolean {
    return this.#leave !== undefined;
  }

  /** A command was queued: JOIN and LEAVE are awaited. */
  queued(command: Command): void {
    if (command.type === "join" || command.type === "resume") {
      this.#join = { command, tries: 1, ...fresh() };
      this.#unanswered++;
    } else if (command.type === "leave") this.#leave ??= fresh();
  }

  /** The window sent what was queued: note which datagram carried what. */
  sent(window: SendWindow): void {
    if (window.queued > 0) return;
    for (const a of [this.#join, this.#leave]) {
      if (a !== undefined && a.seq === undefined) a.seq = window.lastSeq;
    }
  }

  /**
   * A datagram from the server was read (its ACKs applied).
   *
   * @param window The send window, to see what is acknowledged.
   * @param lost Events were lost before this datagram's.
   * @param now The clock.
   */
  heard(window: SendWindow, lost: boolean, now: number): void {
    for (const a of [this.#join, this.#leave]) {
      if (a === undefined || a.seq === undefined) continue;
      if (a.ackedAt === undefined && window.acknowledged(a.seq)) {
        a.ackedAt = now;
      }
      // Lost with or after the acknowledgement: maybe the answer.
      if (a.ackedAt !== undefined && lost) a.lost = true;
    }
  }

  /**
   * Whether to hand an event on: false for a repeated answer to a JOIN
   * that was sent again.
   */
  event(event: ChatEvent): boolean {
    const answer = event.type === "welcome" ||
      (event.type === "error" && !event.fatal);
    if (!answer) return true;
    const echo = this.#echo;
    if (echo !== undefined && sameAnswer(echo.event, event)) {
      if (--echo.repeats === 0) this.#echo = undefined;
      return false;
    }
    this.#echo = undefined;
    const join = this.#join;
    if (join === undefined) return true;
    if (--this.#unanswered > 0) return true;
    if (join.tries > 1) this.#echo = { event, repeats: join.tries - 1 };
    this.#join = undefined;
    return true;
  }

  /**
   * True when an event handed on ends the session: a LEFT with the
   * member's own name (the server removed it and forgot the session).
   */
  ends(event: ChatEvent): boolean {
    if (event.type === "welcome") {
      this.#me = { name: event.name, room: event.room };
    }
    return event.type === "left" && event.name === this.#me?.name &&
      event.room === this.#me.room;
  }

  /**
   * Send the JOIN again if its answer is overdue: its datagram was
   * acknowledged and events were lost since, or {@link answerWait} passed.
   *
   * @param now The clock.
   * @param window Where to queue it (the caller flushes).
   * @param size Largest datagram.
   * @returns Why the session cannot go on, when the JOIN had all the tries
   *   of a datagram.
   */
  retry(now: number, window: SendWindow, size: number): string | undefined {
    const join = this.#join;
    if (join?.ackedAt === undefined) return undefined;
    if (!join.lost && now < join.ackedAt + answerWait(window)) return;
    if (join.tries >= window.maxTries) {
      return `Cannot join: no answer to ${join.tries} JOINs`;
    }
    join.tries++;
    Object.assign(join, fresh());
    this.#unanswered = 1;
    window.push(join.command, size);
  }

  /** When an awaited answer is next overdue (clock), if ever. */
  wake(window: SendWindow): number | undefined {
    const at = this.#join?.ackedAt;
    return at === undefined ? undefined : at + answerWait(window);
  }

  /** True once the ACK covers the LEAVE's datagram: the member has left. */
  get left(): boolean {
    return this.#leave?.ackedAt !== undefined;
  }
}

/**
 * How long an answer to JOIN may take once its datagram is acknowledged:
 * {@link ANSWER_WAIT_MS}, longer on a slow path.
 */
export function answerWait(window: SendWindow): number {
  return Math.max(ANSWER_WAIT_MS, 2 * window.rto);
}

function fresh(): Awaited {
  return { seq: undefined, ackedAt: undefined, lost: false };
}

/** The same answer again: the same WELCOME, or the same refusal. */
function sameAnswer(a: ChatEvent, b: ChatEvent): boolean {
  if (a.type === "welcome" && b.type === "welcome") {
    return a.room === b.room && a.name === b.name;
  }
  return a.type === "error" && b.type === "error" && a.code === b.code &&
    a.message === b.message;
}
