/// <reference lib="dom" />
/**
 * The page's WebSocket to `GET /api/ws`, in the fastest subprotocol the
 * server speaks (docs/http.md §5): binary frames as on TCP
 * (`roomcast.binary.v1`, decoded by the core's own codec), else a JSON
 * array per message (`roomcast.batch.v1`), else one JSON object per message
 * (`roomcast.v1`, an older server). Commands go out in the same encoding;
 * `auth`, which has no frame, always goes as JSON text.
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
import { type ChatEvent, isEventType } from "../../core/events.ts";

/** The subprotocols offered, fastest first. */
export const PAGE_PROTOCOLS: readonly string[] = [
  "roomcast.binary.v1",
  "roomcast.batch.v1",
  "roomcast.v1",
];

/** What a {@link ChatSocket} tells its owner. */
export interface ChatSocketHandlers {
  /** The socket is open. */
  open(): void;
  /** An event from the server (types this page does not know are skipped). */
  event(event: ChatEvent): void;
  /** An event of a type this page does not know was skipped (it counts). */
  skipped?(): void;
  /** The socket closed (from either side, or it never opened). */
  close(): void;
}

/** A message the page sends: a command, or the token of its session. */
export type PageMessage = Command | { type: "auth"; token: string };

/** One WebSocket to the chat, from open to close. */
export class ChatSocket {
  readonly #ws: WebSocket;
  readonly #decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });

  /**
   * Open a socket.
   *
   * @param url The `ws:` or `wss:` URL of `GET /api/ws`.
   * @param handlers Told when it opens, of each event, and when it closes.
   */
  constructor(url: URL, handlers: ChatSocketHandlers) {
    const ws = this.#ws = new WebSocket(url, [...PAGE_PROTOCOLS]);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => handlers.open();
    ws.onmessage = (m: MessageEvent<unknown>) => {
      const events: (ChatEvent | null)[] = m.data instanceof ArrayBuffer
        ? this.#frames(new Uint8Array(m.data))
        : json(m.data);
      // A newer server's event types are skipped (docs/protocol.md §15).
      for (const e of events) {
        if (e !== null && isEventType(e?.type)) handlers.event(e);
        else handlers.skipped?.();
      }
    };
    ws.onclose = () => handlers.close();
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** The subprotocol the server picked. */
  get protocol(): string {
    return this.#ws.protocol;
  }

  /** Send messages, in one WebSocket message where the protocol allows. */
  send(...messages: PageMessage[]): void {
    if (!this.isOpen) return;
    const binary = this.#ws.protocol === PAGE_PROTOCOLS[0];
    let frames: Uint8Array[] = [];
    for (const m of messages) {
      if (binary && m.type !== "auth") {
        frames.push(encodeFrame(m as Command));
        continue;
      }
      this.#sendFrames(frames);
      frames = [];
      this.#ws.send(JSON.stringify(m));
    }
    this.#sendFrames(frames);
  }

  /** Close the socket. */
  close(): void {
    this.#ws.close(1000);
  }

  /** Frames back to back, as one binary message. */
  #sendFrames(frames: readonly Uint8Array[]): void {
    if (frames.length === 0) return;
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    this.#ws.send(all);
  }

  #frames(bytes: Uint8Array): (ChatEvent | null)[] {
    const events: (ChatEvent | null)[] = [];
    for (const item of this.#decoder.push(bytes)) {
      if (item instanceof FrameError && item.code === "UNKNOWN_TYPE") {
        events.push(null); // a newer server's frame: skipped, counted
      }
      if (item instanceof FrameError || isCommand(item)) continue;
      events.push(item as ChatEvent);
    }
    return events;
  }
}

/** The events of a JSON message: one object, or an array of them. */
function json(data: unknown): ChatEvent[] {
  if (typeof data !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return [];
  }
  return (Array.isArray(parsed) ? parsed : [parsed]) as ChatEvent[];
}
