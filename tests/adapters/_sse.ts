// A Server-Sent Events reader for tests: parses `text/event-stream` blocks
// from a response body, with every wait bounded.

import type { ChatEvent } from "../../core/events.ts";

/** How long a wait for an SSE event may take, in ms. */
export const SSE_WAIT_MS = 5000;

/** One parsed event block. */
export interface SseBlock {
  /** The `id:` field, if any. */
  id?: string;
  /** The `event:` field, if any. */
  event?: string;
  /** The `data:` lines joined. */
  data: string;
}

/** Reads event blocks from a response body. */
export class SseReader {
  /** Comment lines seen (heartbeats). */
  comments = 0;
  /** `retry:` values seen. */
  retries: number[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  #blocks: SseBlock[] = [];
  #done = false;
  #error: unknown;
  /** The read in progress, kept across timeouts so no chunk is lost. */
  #reading:
    | Promise<ReadableStreamReadResult<Uint8Array> | { done: true }>
    | undefined;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next block with data (skips comments and retry-only blocks). */
  async next(timeoutMs = SSE_WAIT_MS): Promise<SseBlock> {
    await this.#fill(() => this.#blocks.length > 0, timeoutMs);
    const block = this.#blocks.shift();
    if (block === undefined) {
      throw new Error(
        `event stream ended, expected an event${
          this.#error ? ` (${String(this.#error)})` : ""
        }`,
      );
    }
    return block;
  }

  /** The next block's data as a chat event, with its id. */
  async event(
    timeoutMs = SSE_WAIT_MS,
  ): Promise<{ id: number | undefined; event: ChatEvent }> {
    const block = await this.next(timeoutMs);
    if (block.event !== undefined) {
      throw new Error(`expected a chat event, got event: ${block.event}`);
    }
    return {
      id: block.id === undefined ? undefined : Number(block.id),
      event: JSON.parse(block.data),
    };
  }

  /** Wait until a comment line arrives. */
  async comment(timeoutMs = SSE_WAIT_MS): Promise<void> {
    const seen = this.comments;
    await this.#fill(() => this.comments > seen, timeoutMs);
    if (this.comments === seen) throw new Error("event stream ended");
  }

  /** Resolves when the stream ends; fails if an event comes first. */
  async ended(timeoutMs = SSE_WAIT_MS): Promise<void> {
    await this.#fill(() => this.#blocks.length > 0, timeoutMs);
    if (this.#blocks.length > 0) {
      throw new Error(
        `expected the end, got ${JSON.stringify(this.#blocks[0])}`,
      );
    }
  }

  /** True when the stream failed (rather than ended cleanly). */
  get failed(): boolean {
    return this.#error !== undefined;
  }

  /** Stop reading and release the body. */
  async cancel(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#reader.cancel().catch(() => {});
  }

  async #fill(ready: () => boolean, timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      while (!ready() && !this.#done) {
        this.#reading ??= this.#reader.read().catch((e) => {
          this.#error = e;
          return { done: true } as const;
        });
        const r = await Promise.race([this.#reading, deadline]);
        if (r === "timeout") {
          throw new Error(`no event within ${timeoutMs} ms`);
        }
        this.#reading = undefined;
        if (r.done) {
          this.#done = true;
          break;
        }
        this.#parse(this.#decoder.decode(r.value!, { stream: true }));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #parse(text: string): void {
    this.#buffer += text;
    let end: number;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const raw = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const block: SseBlock = { data: "" };
      const data: string[] = [];
      for (const line of raw.split("\n")) {
        if (line.startsWith(":")) this.comments++;
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else if (line.startsWith("id: ")) block.id = line.slice(4);
        else if (line.startsWith("event: ")) block.event = line.slice(7);
        else if (line.startsWith("retry: ")) {
          this.retries.push(Number(line.slice(7)));
        }
      }
      if (data.length > 0) {
        block.data = data.join("\n");
        this.#blocks.push(block);
      }
    }
  }
}
