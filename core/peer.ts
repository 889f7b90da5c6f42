/**
 * The seam between the core and a transport. A transport hands the core a
 * {@link Peer}: a small object of closures that takes outgoing events and can
 * close the connection. The core hands back a session that takes commands.
 *
 * @module
 */

import { encodeFrame } from "./codec/mod.ts";
import type { ChatEvent } from "./events.ts";
import type { Lang } from "./text/phrases.ts";
import { renderEvent, TERMINAL_RENDER } from "./text/render.ts";

const encoder = new TextEncoder();

/**
 * One event on its way out, shared by every recipient of a fan-out. Each
 * encoding is made once, on first use, and the same bytes (or string) are
 * given to every peer that asks for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const out = new Outgoing({ type: "joined", room: "lobby", name: "bob" });
 * assert.equal(out.binary(), out.binary()); // encoded once, shared
 * assert.equal(out.json(), '{"type":"joined","room":"lobby","name":"bob"}');
 * assert.equal(out.text("zh"), "bob 进入了聊天室");
 * ```
 */
export class Outgoing {
  /** The event. */
  readonly event: ChatEvent;
  #binary: Uint8Array | undefined;
  #json: string | undefined;
  #jsonUtf8: Uint8Array | undefined;
  #en: Uint8Array | undefined;
  #zh: Uint8Array | undefined;
  #size = 0;

  /**
   * Create a new instance.
   * @param event The event to send.
   * @param binary Its binary frame, when already at hand (as received from
   *   another node): given to binary peers as is.
   */
  constructor(event: ChatEvent, binary?: Uint8Array) {
    this.event = event;
    this.#binary = binary;
  }

  /** The binary frame (docs/protocol.md). */
  binary(): Uint8Array {
    return this.#binary ??= encodeFrame(this.event);
  }

  /** The JSON object as a string, without a line break. */
  json(): string {
    return this.#json ??= JSON.stringify(this.event);
  }

  /**
   * {@link Outgoing.json} as UTF-8 bytes, encoded once for every recipient
   * (a WebSocket's text message, adapters/http/ws_native.ts).
   */
  jsonUtf8(): Uint8Array {
    return this.#jsonUtf8 ??= encoder.encode(this.json());
  }

  /**
   * About the bytes it takes to keep the event (a resumable member's log):
   * the lengths of its strings and a little more, worked out once, on first
   * use, for every recipient. Nothing is encoded to measure it.
   */
  size(): number {
    return this.#size ||= sizeOf(this.event);
  }

  /**
   * The rendering in a language, as text sessions show it: one line, or
   * for a multi-line message its lines, each after the first indented.
   */
  text(lang: Lang): string {
    return renderEvent(this.event, lang, TERMINAL_RENDER);
  }

  /** {@link Outgoing.text} with a trailing LF, as UTF-8 bytes. */
  line(lang: Lang): Uint8Array {
    if (lang === "zh") {
      return this.#zh ??= encoder.encode(this.text("zh") + "\n");
    }
    return this.#en ??= encoder.encode(this.text("en") + "\n");
  }
}

/** The lengths of an event's strings (UTF-16 units), plus 32. */
function sizeOf(event: object): number {
  let n = 32;
  for (const value of Object.values(event)) {
    if (typeof value === "string") n += value.length;
    else if (Array.isArray(value)) {
      for (const s of value) n += 2 + String(s).length;
    } else if (typeof value === "object" && value !== null) n += sizeOf(value);
  }
  return n;
}

/** What a transport gives the core for one connection. */
export interface Peer {
  /**
   * Queue an event for the remote end. Return false when the peer's bounded
   * outbound buffer is full: the core then removes the member with reason
   * `slow_consumer`. `seq` is the event's number for a resumable member
   * (docs/protocol.md, "History and resume"), which a transport may show
   * (HTTP: the SSE event id); most ignore it.
   */
  send(out: Outgoing, seq?: number): boolean;
  /**
   * Close the connection: with `flush`, once what is queued has been written
   * (bounded by a linger time); without, at once, dropping the queue.
   */
  close(flush: boolean): void;
}
