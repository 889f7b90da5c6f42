/**
 * What a frame carries once decoded: the commands a member sends, the events
 * it receives, and the datagram transport's own frames.
 *
 * @module
 */

import type { DatagramFrame } from "../datagram/frames.ts";
import type { ReceivedEvent } from "../events.ts";

/** The protocol version every peer speaks (the oldest this code speaks). */
export const PROTOCOL_VERSION = 1;

/**
 * The newest protocol version this code speaks. Version 2 is version 1 with
 * a longer WELCOME, which carries the resume token (docs/protocol.md,
 * "History and resume"); a client asks for it in HELLO.
 */
export const LATEST_VERSION = 2;

/** Client frames: the commands a member sends. */
export type Command =
  | {
    readonly type: "hello";
    readonly version: number;
    readonly software: string;
  }
  | { readonly type: "join"; readonly room: string; readonly name: string }
  | { readonly type: "say"; readonly text: string }
  | { readonly type: "who"; readonly room: string }
  | { readonly type: "leave" }
  | { readonly type: "ping"; readonly nonce: number }
  | {
    readonly type: "resume";
    readonly token: string;
    readonly seen: number;
  }
  | { readonly type: "recall" };

/**
 * Any decoded frame: commands, events (with codes and reasons newer than
 * this code carried, not refused), and the datagram transport's frames.
 */
export type Frame = Command | ReceivedEvent | DatagramFrame;

/**
 * Whether a decoded frame is a command (client to server).
 *
 * @param frame A decoded frame.
 * @returns True for HELLO, JOIN, SAY, WHO, LEAVE, PING, RESUME and RECALL.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFrame } from "./decoder.ts";
 * import { encodeFrame } from "./encode.ts";
 * assert.equal(isCommand(decodeFrame(encodeFrame({ type: "leave" }))), true);
 * assert.equal(isCommand({ type: "pong" }), false);
 * ```
 */
export function isCommand(frame: { type: string }): frame is Command {
  switch (frame.type) {
    case "hello":
    case "join":
    case "say":
    case "who":
    case "leave":
    case "ping":
    case "resume":
    case "recall":
      return true;
  }
  return false;
}
