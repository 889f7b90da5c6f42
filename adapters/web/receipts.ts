/**
 * Which of the page's messages the server took: each message is followed by
 * a ping, so the pong confirms it (and every message before it not refused),
 * and an error that answers a message before its pong refuses it.
 * adapters/web/connection.ts owns one.
 *
 * @module
 */

import type { ErrorEvent } from "../../core/events.ts";

/** Errors that answer a `say`. */
const SAY_ERRORS = new Set<string>([
  "MESSAGE_EMPTY",
  "MESSAGE_TOO_LONG",
  "RATE_LIMITED",
  "NOT_JOINED",
  "FRAME_TOO_LARGE",
  "INVALID_UTF8",
]);

/** Who is told what became of a message. */
export interface ReceiptHandlers {
  /** The server took the message sent with this nonce. */
  acked(nonce: number): void;
  /** The server refused it (`error`), or the connection was lost first. */
  rejected(nonce: number, error: ErrorEvent | undefined): void;
}

/** The messages sent and not yet confirmed, by nonce, oldest first. */
export class Receipts {
  readonly #h: ReceiptHandlers;
  #nonce = 0;
  #unacked: number[] = [];

  /** @param handlers Told what became of each message. */
  constructor(handlers: ReceiptHandlers) {
    this.#h = handlers;
  }

  /** The nonce of the next message's ping. */
  next(): number {
    return this.#nonce = (this.#nonce % 0xffff_fffe) + 1;
  }

  /** A message went out, with its ping of this nonce. */
  sent(nonce: number): void {
    this.#unacked.push(nonce);
  }

  /** A pong: the message of this nonce, and those before it, went through. */
  pong(nonce: number): void {
    const i = this.#unacked.indexOf(nonce);
    if (i === -1) return;
    // Anything sent before it and not refused went through too.
    for (const n of this.#unacked.splice(0, i + 1)) this.#h.acked(n);
  }

  /**
   * A non-fatal error: when it answers a message, the oldest one waiting is
   * refused.
   *
   * @returns True when the error was a message's answer.
   */
  refuse(e: ErrorEvent): boolean {
    if (!SAY_ERRORS.has(e.code) || this.#unacked.length === 0) return false;
    this.#h.rejected(this.#unacked.shift()!, e);
    return true;
  }

  /** The connection was lost: every message waiting is refused. */
  failAll(): void {
    const lost = this.#unacked;
    this.#unacked = [];
    for (const nonce of lost) this.#h.rejected(nonce, undefined);
  }
}
