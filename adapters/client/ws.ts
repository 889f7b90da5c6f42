/**
 * The client side of `GET /api/ws`: `ws://HOST:PORT` (path `/api/ws` unless
 * given) as a {@link ClientConnection}, so `cli.ts join --server ws://...`
 * works like TCP. It offers the subprotocols fastest first and speaks the
 * one the server picks (docs/http.md §5): binary frames as on TCP
 * (`roomcast.binary.v1`, several per message), or JSON, one event per
 * message or an array of them (`roomcast.batch.v1`), with an older server.
 *
 * @module
 */

import {
  type Command,
  encodeFrame,
  FrameDecoder,
  isCommand,
} from "../../core/codec/mod.ts";
import { FrameError } from "../../core/errors.ts";
import { isEventType, type ReceivedEvent } from "../../core/events.ts";
import { type ClientConnection, ConnectError } from "./connection.ts";

/** How long the WebSocket handshake may take, in ms. */
const OPEN_TIMEOUT_MS = 10_000;

/** The subprotocols offered, fastest first. */
export const WS_CLIENT_PROTOCOLS: readonly string[] = [
  "roomcast.binary.v1",
  "roomcast.batch.v1",
  "roomcast.v1",
];

/**
 * Open a WebSocket chat session.
 *
 * @param url `ws://HOST:PORT[/PATH]` or `wss://...`.
 * @param protocols Subprotocols to offer, in order of preference.
 * @returns The connection, once open.
 * @throws {ConnectError} When the handshake fails.
 */
export function dialWebSocket(
  url: URL,
  protocols: readonly string[] = WS_CLIENT_PROTOCOLS,
): Promise<ClientConnection> {
  const target = new URL(url);
  if (target.pathname === "/" || target.pathname === "") {
    target.pathname = "/api/ws";
  }
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(target, [...protocols]);
    } catch (cause) {
      reject(
        new ConnectError(`Cannot connect to ${url.href}: ${String(cause)}`, {
          cause,
        }),
      );
      return;
    }
    socket.binaryType = "arraybuffer";
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
  readonly #binary: boolean;
  readonly #decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });

  constructor(socket: WebSocket) {
    this.#socket = socket;
    this.#binary = socket.protocol === "roomcast.binary.v1";
    this.closed = new Promise((resolve) => {
      socket.onclose = () => resolve();
    });
    socket.onerror = () => {};
    socket.onmessage = (e) => this.#message(e.data);
  }

  send(command: Command): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(
      this.#binary ? encodeFrame(command) : JSON.stringify(command),
    );
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
    if (data instanceof ArrayBuffer) this.#frames(new Uint8Array(data));
    else this.#json(String(data));
  }

  #frames(bytes: Uint8Array): void {
    for (const item of this.#decoder.push(bytes)) {
      // A frame type from a newer server: its length told where it ends,
      // so it is skipped (docs/protocol.md, forward compatibility).
      if (item instanceof FrameError && item.code === "UNKNOWN_TYPE") {
        this.onSkipped?.();
        continue;
      }
      if (item instanceof FrameError) {
        this.onEvent({
          type: "error",
          code: item.code,
          message: `Cannot read server frame: ${item.message}`,
          fatal: this.#decoder.failed,
        });
      } else if (!isCommand(item) && isEventType(item.type)) {
        this.onEvent(item as ReceivedEvent);
      }
    }
    if (this.#decoder.failed) this.close();
  }

  #json(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.onEvent({
        type: "error",
        code: "FRAME_MALFORMED",
        message: "Cannot read server message: it is not JSON",
        fatal: false,
      });
      return;
    }
    // roomcast.batch.v1 sends arrays; roomcast.v1 one object per message.
    for (const event of Array.isArray(parsed) ? parsed : [parsed]) {
      // Events of types this client does not know (a newer server's) are
      // skipped, like unknown frame types on a stream.
      if (
        event !== null && typeof event === "object" && isEventType(event.type)
      ) {
        this.onEvent(event);
      } else this.onSkipped?.();
    }
  }
}
