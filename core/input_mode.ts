/**
 * A session's way in from a stream: the first byte picks binary frames
 * (core/frame_mode.ts) or text lines (core/text/mode.ts), and the mode
 * picks how events are written back. core/session.ts owns one.
 *
 * @module
 */

import { MAGIC } from "./codec/mod.ts";
import type { Refusal } from "./errors.ts";
import { type FrameHost, FrameMode } from "./frame_mode.ts";
import type { Limits } from "./limits.ts";
import type { Outgoing } from "./peer.ts";
import type { TextOptions } from "./session_options.ts";
import { type TextHost, TextMode } from "./text/mode.ts";

/** What the modes need of the protocol state (core/commands.ts). */
export interface ModeCommands {
  /** A text session needs no HELLO. */
  skipHello(): void;
  /** A binary client that was slow to speak got the text prompt: it still owes HELLO. */
  expectHello(): void;
}

/** @internal The input mode of one session. */
export class InputMode {
  readonly #host: FrameHost & TextHost;
  readonly #commands: ModeCommands;
  readonly #limits: Limits;
  #frames: FrameMode | undefined;
  #text: TextMode | undefined;

  /**
   * Create a new instance.
   * @param host The session.
   * @param commands Its protocol state.
   * @param limits The chat's limits.
   */
  constructor(
    host: FrameHost & TextHost,
    commands: ModeCommands,
    limits: Limits,
  ) {
    this.#host = host;
    this.#commands = commands;
    this.#limits = limits;
  }

  /** True for a text session (lines in, rendered lines out). */
  get text(): boolean {
    return this.#text !== undefined;
  }

  /**
   * Bytes from a stream transport. The first byte picks the mode: the frame
   * magic byte means binary frames (core/frame_mode.ts); anything else makes
   * a text session (core/text/mode.ts), as does {@link InputMode.startText}.
   */
  feed(chunk: Uint8Array): void {
    if (this.#host.state === "closed" || chunk.length === 0) return;
    let frames = this.#frames;
    if (frames === undefined) {
      const text = this.#text;
      if (text !== undefined) {
        // A binary client that was slow to speak got the prompt: let it in.
        if (chunk[0] === MAGIC && !text.received && !text.joined) {
          this.#text = undefined;
          this.#commands.expectHello();
        } else {
          text.feed(chunk);
          return;
        }
      } else if (chunk[0] !== MAGIC) {
        this.startText({ prompt: false });
        this.#text?.feed(chunk);
        return;
      }
      frames = this.#frames = new FrameMode(this.#host, {
        maxFrameSize: this.#limits.maxFrameSize,
      });
    }
    frames.feed(chunk);
  }

  /**
   * Make this a text session: no HELLO, the first line is the name. Does
   * nothing once a mode is chosen.
   */
  startText(options: TextOptions = {}): void {
    if (
      this.#host.state === "closed" || this.#frames !== undefined ||
      this.#text !== undefined
    ) return;
    this.#text = new TextMode(this.#host, {
      maxLineBytes: this.#limits.maxMessageBytes,
      maxHeld: this.#limits.pendingCommands,
      datagram: options.datagram ?? false,
    });
    this.#commands.skipHello();
    if (options.prompt ?? true) this.#text.prompt();
  }

  /** A JOIN was answered: a text session prompts again on a refusal. */
  answered(result: Refusal | undefined): void {
    this.#text?.answered(result);
  }

  /**
   * The bytes of an event for this session's stream: a binary frame, shared
   * with every other binary recipient of the same event, or its line.
   */
  encode(out: Outgoing): Uint8Array {
    return this.#text === undefined ? out.binary() : out.line(this.#host.lang);
  }
}
