/**
 * What a WebSocket is told outside its session (adapters/http/
 * ws_connection.ts): a refusal before it has a session, counted against the
 * socket's own budget (past it, TOO_MANY_ERRORS), and a fatal error, after
 * which the socket closes once the error is written. A socket without a
 * session has no member buffer to bound what it is sent: past a member's
 * outbound limit it is cut off.
 *
 * @module
 */

import type { ErrorCodeName } from "../../core/errors.ts";
import type { ErrorEvent } from "../../core/events.ts";
import { Outgoing } from "../../core/peer.ts";
import { RefusalBudget } from "../../core/refusal_budget.ts";
import type { HttpHub } from "./hub.ts";
import type { WsSink } from "./ws_sink.ts";
import type { PendingSocket } from "./ws_sockets.ts";

/** What a {@link WsRefusals} is made with. */
export interface WsRefusalsOptions {
  readonly hub: HttpHub;
  /** The socket's sink, which sends the errors and closes it. */
  readonly sink: WsSink;
}

/** One WebSocket's refusals and fatal error, outside its session. */
export class WsRefusals {
  readonly #socket: PendingSocket;
  readonly #hub: HttpHub;
  readonly #sink: WsSink;
  #budget: RefusalBudget | undefined;
  #cut = false;
  /** Waiting for the fatal error to be written before closing. */
  #closing: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param socket The socket (its budget starts when it opened).
   * @param options The hub and the socket's sink.
   */
  constructor(socket: PendingSocket, options: WsRefusalsOptions) {
    this.#socket = socket;
    this.#hub = options.hub;
    this.#sink = options.sink;
  }

  /** True once told a fatal error: the socket is closing. */
  get cut(): boolean {
    return this.#cut;
  }

  /**
   * Refuse a message of a socket with no session, against the socket's own
   * budget (a session has its own); past it, the socket is cut.
   */
  refuse(code: ErrorCodeName, message: string): void {
    const budget = this.#budget ??= new RefusalBudget(
      this.#hub.chat.limits.maxRefusals,
      this.#hub.chat.limits.refusalWindowMs,
      this.#socket.openedAt,
    );
    if (!budget.take(this.#hub.chat.now())) {
      this.fatal("TOO_MANY_ERRORS", budget.cutMessage(code));
      return;
    }
    this.#send({ type: "error", code, message, fatal: false });
  }

  /** Tell the socket a fatal error (once), then close it. */
  fatal(code: ErrorCodeName, message: string): void {
    if (this.#cut) return; // told once; closing
    this.#cut = true;
    this.#hub.log({ event: "error", transport: "ws", code, message });
    this.#send({ type: "error", code, message, fatal: true });
    // Close once the error is written: a close started behind messages Deno
    // has not written yet lost them (seen under load, with clients still
    // sending: the fuzz's WebSocket garbage rarely saw its error).
    const deadline = Date.now() + this.#hub.limits.lingerMs;
    const attempt = () => {
      this.#closing = undefined;
      if (this.#sink.unwritten === 0 || Date.now() >= deadline) {
        this.#sink.shut(1008, code);
      } else this.#closing = setTimeout(attempt, 20);
    };
    attempt();
  }

  /** The socket closed: stop waiting to close it. */
  closed(): void {
    clearTimeout(this.#closing);
  }

  #send(event: ErrorEvent): void {
    // Before it has a session a socket has no member buffer to bound it: a
    // client sending bad messages without reading the errors would make the
    // server keep every one. Past a member's outbound limit it is cut off.
    const limit = this.#hub.chat.limits.outboundBytes;
    if (!this.#sink.sendNow(new Outgoing(event), limit)) {
      this.#hub.sockets.removePending(this.#socket);
      this.#sink.close(false);
    }
  }
}
