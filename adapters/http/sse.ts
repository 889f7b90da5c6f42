/**
 * Server-Sent Events: a member's events as `text/event-stream`, one
 * `data:` line of JSON per event (the same objects as `cli.ts join --json`),
 * with `id:` (the event's number in the member's stream) for
 * `Last-Event-ID` resume, comment heartbeats, and a bounded buffer. The
 * events of one event-loop turn go out as one chunk
 * (adapters/http/event_feed.ts).
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";
import type { EventSink } from "./event_sink.ts";

const encoder = new TextEncoder();
/** `data:` blocks, shared by every recipient of a fan-out. */
const blocks = new WeakMap<Outgoing, Uint8Array>();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

/**
 * The `data: JSON` block of an event, with its blank line: made once per
 * event and shared by every SSE recipient (the `id:` line before it is
 * each member's own).
 *
 * @param out The event.
 * @returns UTF-8 bytes.
 */
function dataBlock(out: Outgoing): Uint8Array {
  let bytes = blocks.get(out);
  if (bytes === undefined) {
    bytes = encoder.encode(`data: ${out.json()}\n\n`);
    blocks.set(out, bytes);
  }
  return bytes;
}

/**
 * The SSE frame of an event: `id: N` (when numbered), `data: JSON`, blank
 * line, as chunks: the `data:` block is shared by every recipient.
 *
 * @param out The event.
 * @param id Its number in the member's stream, when numbered.
 * @returns UTF-8 chunks, in order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "../../core/peer.ts";
 * const out = new Outgoing({ type: "joined", room: "lobby", name: "bob" });
 * const text = sseFrame(out, 7).map((c) => new TextDecoder().decode(c)).join("");
 * assert.equal(text, 'id: 7\ndata: {"type":"joined","room":"lobby","name":"bob"}\n\n');
 * ```
 */
export function sseFrame(out: Outgoing, id: number | undefined): Uint8Array[] {
  const data = dataBlock(out);
  return id === undefined ? [data] : [encoder.encode(`id: ${id}\n`), data];
}

/** Options of an {@link SseSink}. */
export interface SseOptions {
  /** Most bytes queued for the client before it is a slow consumer. */
  limit: number;
  /** Time to finish writing when closing, then the stream is cut. */
  lingerMs: number;
  /** Reconnection delay suggested to the client, in ms. */
  retryMs: number;
  /**
   * Called once when the stream ends: `byClient` when the client went away,
   * otherwise the server ended it.
   */
  onClose: (sink: SseSink, byClient: boolean) => void;
}

/** One open event stream. */
export class SseSink implements EventSink {
  /** Always `"sse"`. */
  readonly kind = "sse";
  /** The response body. */
  readonly stream: ReadableStream<Uint8Array>;
  readonly #limit: number;
  readonly #lingerMs: number;
  #linger: ReturnType<typeof setTimeout> | undefined;
  readonly #onClose: (sink: SseSink, byClient: boolean) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #wrote = false;

  /** @param options Buffer limit, retry hint and cancel callback. */
  constructor(options: SseOptions) {
    this.#limit = options.limit;
    this.#lingerMs = options.lingerMs;
    this.#onClose = options.onClose;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        controller.enqueue(encoder.encode(`retry: ${options.retryMs}\n\n`));
      },
      // Called as the server takes chunks: a closing stream ends once
      // everything queued was taken.
      pull: () => {
        if (this.#linger !== undefined && this.buffered === 0) this.#end();
      },
      cancel: () => {
        clearTimeout(this.#linger);
        this.#linger = undefined;
        if (this.#closed) return;
        this.#closed = true;
        this.#onClose(this, true);
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: options.limit }));
  }

  /** Bytes queued and not yet taken by the HTTP server. */
  get buffered(): number {
    const free = this.#controller.desiredSize;
    return free === null ? 0 : Math.max(0, this.#limit - free);
  }

  /** Bytes of an event's frame (about: its JSON and the SSE lines). */
  size(out: Outgoing): number {
    return out.json().length + 32;
  }

  /**
   * Write a batch of events: one event as its chunks (the shared `data:`
   * block is not copied), several as one chunk.
   */
  write(
    batch: readonly Outgoing[],
    count: number,
    ids: readonly (number | undefined)[],
  ): void {
    if (this.#closed || count === 0) return;
    if (count === 1) {
      for (const chunk of sseFrame(batch[0]!, ids[0])) this.#enqueue(chunk);
      return;
    }
    const parts: Uint8Array[] = [];
    for (let i = 0; i < count; i++) parts.push(...sseFrame(batch[i]!, ids[i]));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    this.#enqueue(out);
  }

  /** Events after `after` up to `lostUpTo` can no longer be replayed. */
  gap(after: number, lostUpTo: number): void {
    this.#enqueue(encoder.encode(
      `event: gap\ndata: ${
        JSON.stringify({ type: "gap", after, lostUpTo })
      }\n\n`,
    ));
  }

  /** A comment line, unless something else was written since the last one. */
  heartbeat(): void {
    if (!this.#wrote) this.#enqueue(HEARTBEAT);
    this.#wrote = false;
  }

  /**
   * End the stream: after what is queued has been taken (at most the
   * linger time, then it is cut), or at once, dropping it.
   */
  close(flush: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!flush) this.#cut();
    else if (this.buffered === 0) this.#end();
    else this.#linger = setTimeout(() => this.#cut(), this.#lingerMs);
    this.#onClose(this, false);
  }

  #end(): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    try {
      this.#controller.close();
    } catch {
      // already closed or errored
    }
  }

  #cut(): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    try {
      this.#controller.error(new Error("Cannot keep up: stream cut"));
    } catch {
      // already closed or errored
    }
  }

  #enqueue(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#wrote = true;
    try {
      this.#controller.enqueue(bytes);
    } catch {
      // the body was cancelled
    }
  }
}
