/**
 * The client side of `GET /api/ws`: `ws://HOST:PORT` (path `/api/ws` unless
 * given) as a {@link ClientConnection}, so `cli.ts join --server ws://...`
 * works like TCP. Commands go out as JSON text messages, events come back
 * the same way.
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import { isEventType, type ReceivedEvent } from "../../core/events.ts";
import { type ClientConnection, ConnectError } from "./connection.ts";

/** How long the WebSocket handshake may take, in ms. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * Open a WebSocket chat session.
 *
 * @param url `ws://HOST:PORT[/PATH]` or `wss://...`.
 * @returns The connection, once open.
 * @throws {ConnectError} When the handshake fails.
 */
export function dialWebSocket(url: URL): Promise<ClientConnection> {
  const target = new URL(url);
  if (target.pathname === "/" || target.pathname === "") {
    target.pathname = "/api/ws";
  }
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(target, ["roomcast.v1"]);
    } catch (cause) {
      reject(
        new ConnectError(`Cannot connect to ${url.href}: ${String(cause)}`, {
          cause,
        }),
      );
      return;
    }
    const timer = setTimeout(() => {
      socket.close();
      fail("no answer to the WebSocket handshake");
    }, OPEN_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new ConnectError(`Cannot connect to ${url.href}: ${why}`));
    };
    socket.onerror = (e) =>
      fail((e as ErrorEvent).message || "the WebSocket handshake failed");
    socket.onopen = () => {
      clearTimeout(timer);
      resolve(new WebSocketClient(socket));
    };
  });
}

class WebSocketClient implements ClientConnection {
  onEvent: (event: ReceivedEvent) => void = () => {};
  onSkipped: (() => void) | undefined;
  readonly closed: Promise<void>;
  readonly #socket: WebSocket;

  constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      socket.onclose = () => resolve();
    });
    socket.onerror = () => {};
    socket.onmessage = (e) => this.#message(e.data);
  }

  send(command: Command): void {
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.send(JSON.stringify(command));
    }
  }

  close(): void {
    const s = this.#socket;
    if (
      s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING
    ) {
      s.close(1000);
    }
  }

  #message(data: unknown): void {
    let event: ReceivedEvent;
    try {
      event = JSON.parse(String(data));
    } catch {
      this.onEvent({
        type: "error",
        code: "FRAME_MALFORMED",
        message: "Cannot read server message: it is not JSON",
        fatal: false,
      });
      return;
    }
    // Events of types this client does not know (a newer server's) are
    // skipped, like unknown frame types on a stream.
    if (
      event !== null && typeof event === "object" && isEventType(event.type)
    ) {
      this.onEvent(event);
    } else this.onSkipped?.();
  }
}
