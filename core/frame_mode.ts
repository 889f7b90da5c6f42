/**
 * Binary mode: a stream of frames in, commands out to the session. The
 * counterpart of text mode (core/text/mode.ts), for clients that start with
 * the frame magic byte.
 *
 * @module
 */

import {
  type Command,
  type DecoderOptions,
  FrameDecoder,
  isCommand,
} from "./codec/mod.ts";
import type { SessionState } from "./chat_internals.ts";
import { type ErrorCodeName, FrameError } from "./errors.ts";

/** What binary mode needs of its session. */
export interface FrameHost {
  /** Where the session is in its life. */
  readonly state: SessionState;
  /** Handle one command. */
  handle(command: Command): void;
  /** Tell the member about a refusal; the session goes on. */
  error(code: ErrorCodeName, message: string): void;
  /** Tell the member about an error and close the connection. */
  fail(code: ErrorCodeName, message: string): void;
}

/**
 * @internal Decodes a session's stream into frames and hands on the
 * commands. A frame with bad fields is refused and the stream goes on; a
 * framing error (bad magic, over-size) or anything before HELLO ends it.
 */
export class FrameMode {
  readonly #host: FrameHost;
  readonly #decoder: FrameDecoder;

  /**
   * Create a new instance.
   * @param host The session.
   * @param options Size limit of a frame.
   */
  constructor(host: FrameHost, options: DecoderOptions) {
    this.#host = host;
    this.#decoder = new FrameDecoder(options);
  }

  /**
   * Bytes from the stream.
   *
   * @param chunk Bytes; not kept after the call returns.
   */
  feed(chunk: Uint8Array): void {
    const decoder = this.#decoder;
    const items = decoder.push(chunk);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (this.#host.state === "closed") return;
      if (item instanceof FrameError) {
        // Only a framing error (always the last item) breaks the stream.
        const fatal = decoder.failed && i === items.length - 1;
        if (fatal || this.#host.state === "new") {
          this.#host.fail(item.code, item.message);
        } else this.#host.error(item.code, item.message);
      } else if (isCommand(item)) {
        this.#host.handle(item);
      } else if (this.#host.state === "new") {
        this.#host.fail(
          "HELLO_REQUIRED",
          "Cannot accept frame: send HELLO first",
        );
      } else {
        this.#host.error(
          "UNKNOWN_TYPE",
          `Cannot accept frame "${item.type}": it is not a command on this transport`,
        );
      }
    }
  }
}
