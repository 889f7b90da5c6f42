/**
 * What members receive and observers see. These objects are also the JSON
 * that `cli.ts join --json` prints and that the HTTP transports carry.
 *
 * @module
 */

import type { ErrorCodeName } from "./errors.ts";

/** Why someone left a room, with its wire number. */
export const LeaveReason = {
  /** The member asked to leave (`/quit`, LEAVE, end of input). */
  quit: 0,
  /** The connection went away without a LEAVE. */
  disconnect: 1,
  /** The member was silent for longer than the idle timeout. */
  timeout: 2,
  /** The member did not read fast enough and its outbound buffer filled. */
  slow_consumer: 3,
  /** The server is shutting down. */
  shutdown: 4,
  /** The cluster node holding the member was lost. */
  node_lost: 5,
  /** The member moved to another room with `/join`. */
  moved: 6,
} as const;

/** Name of a leave reason, such as `"quit"`. */
export type LeaveReason = keyof typeof LeaveReason;

const reasonNames = Object.keys(LeaveReason) as LeaveReason[];

/**
 * The leave reason for a wire number, or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(leaveReasonName(3), "slow_consumer");
 * ```
 */
export function leaveReasonName(n: number): LeaveReason | undefined {
  return reasonNames[n];
}

/**
 * How to come back to a session after a dropped connection (protocol
 * version 2, and HTTP sessions): send RESUME with `token` and the number of
 * the last event received within `graceMs`. Events after the WELCOME that
 * carries this are numbered from `seq + 1`, one per event, whatever its
 * type, until the next WELCOME (docs/protocol.md, "History and resume").
 */
export interface ResumeInfo {
  /** The session's resume token (secret: whoever has it is this member). */
  readonly token: string;
  /** How long the session waits for its member to come back, in ms. */
  readonly graceMs: number;
  /** The number of the event before the first one after this WELCOME. */
  readonly seq: number;
  /**
   * Events after the number the client gave in RESUME that are no longer
   * kept and will not come (0 on a JOIN).
   */
  readonly lost: number;
}

/** You are in a room: its name, your name as others see it, and its members. */
export interface WelcomeEvent {
  /** Event type tag. */
  readonly type: "welcome";
  /** Canonical room name. */
  readonly room: string;
  /** Member name as others see it. */
  readonly name: string;
  /** Member names (you included); may be cut short in very large rooms. */
  readonly members: readonly string[];
  /** How many members the room has. */
  readonly total: number;
  /** How to resume this session (protocol version 2 only). */
  readonly resume?: ResumeInfo;
}

/** Someone entered your room. */
export interface JoinedEvent {
  /** Event type tag. */
  readonly type: "joined";
  /** Canonical room name. */
  readonly room: string;
  /** Member name as others see it. */
  readonly name: string;
}

/** Someone left your room (or you were removed, when `name` is yours). */
export interface LeftEvent {
  /** Event type tag. */
  readonly type: "left";
  /** Canonical room name. */
  readonly room: string;
  /** Member name as others see it. */
  readonly name: string;
  /** Why the member left. */
  readonly reason: LeaveReason;
}

/** Someone in your room spoke. */
export interface MessageEvent {
  /** Event type tag. */
  readonly type: "message";
  /** Canonical room name. */
  readonly room: string;
  /** Who spoke. */
  readonly from: string;
  /** The text, as sent. */
  readonly text: string;
}

/** The administrator spoke; `room` is null when it went to every room. */
export interface AnnouncementEvent {
  /** Event type tag. */
  readonly type: "announcement";
  /** Canonical room name. */
  readonly room: string | null;
  /** The text, as sent. */
  readonly text: string;
}

/**
 * A message or announcement said in your room before you came (or again,
 * for RECALL): sent right after WELCOME, oldest first, so that a client can
 * show it apart from live events.
 */
export interface HistoryEvent {
  /** Event type tag. */
  readonly type: "history";
  /** When it was said, in ms since the Unix epoch (the server's clock). */
  readonly time: number;
  /** What was said, with its sender. */
  readonly event: MessageEvent | AnnouncementEvent;
}

/** The answer to `/who`. */
export interface MembersEvent {
  /** Event type tag. */
  readonly type: "members";
  /** Canonical room name. */
  readonly room: string;
  /** Member names; may be cut short in very large rooms. */
  readonly members: readonly string[];
  /** How many members the room has. */
  readonly total: number;
}

/** A refusal or protocol error; `fatal` means the server closes the connection. */
export interface ErrorEvent {
  /** Event type tag. */
  readonly type: "error";
  /** Stable error code. */
  readonly code: ErrorCodeName;
  /** English detail. */
  readonly message: string;
  /** True when the server closes the connection after this error. */
  readonly fatal: boolean;
}

/** The server's answer to HELLO: its protocol version and limits. */
export interface HelloOkEvent {
  /** Event type tag. */
  readonly type: "hello_ok";
  /** Protocol version. */
  readonly version: number;
  /** Server software and version. */
  readonly software: string;
  /** Largest frame the server accepts, header included. */
  readonly maxFrame: number;
  /** Largest message text the server accepts, in UTF-8 bytes. */
  readonly maxMessage: number;
}

/** The answer to a ping. */
export interface PongEvent {
  /** Event type tag. */
  readonly type: "pong";
  /** The nonce of the ping being answered. */
  readonly nonce: number;
}

/** Anything the server sends a member. */
export type ChatEvent =
  | WelcomeEvent
  | JoinedEvent
  | LeftEvent
  | MessageEvent
  | AnnouncementEvent
  | HistoryEvent
  | MembersEvent
  | ErrorEvent
  | PongEvent
  | HelloOkEvent;

/**
 * An ERROR whose code this reader does not know: a newer server's. Decoders
 * carry it rather than refuse the frame (docs/protocol.md, "Versions and
 * forward compatibility"); `fatal` keeps its meaning. Servers never send
 * the name `UNKNOWN`: it is not an {@link ErrorCodeName}.
 */
export interface UnknownErrorEvent {
  /** Event type tag. */
  readonly type: "error";
  /** Always `"UNKNOWN"`. */
  readonly code: "UNKNOWN";
  /** The code's wire number (u16). */
  readonly codeNumber: number;
  /** The server's English detail. */
  readonly message: string;
  /** True when the server closes the connection after this error. */
  readonly fatal: boolean;
}

/**
 * A LEFT whose reason this reader does not know: a newer server's. Carried
 * like {@link UnknownErrorEvent}; the member has left all the same.
 */
export interface UnknownLeftEvent {
  /** Event type tag. */
  readonly type: "left";
  /** Canonical room name. */
  readonly room: string;
  /** Member name as others see it. */
  readonly name: string;
  /** Always `"unknown"`. */
  readonly reason: "unknown";
  /** The reason's wire number (u8). */
  readonly reasonNumber: number;
}

/**
 * Anything a client may read from a server, a newer one included: the
 * events this code sends, and errors and leaves with codes and reasons it
 * does not know.
 */
export type ReceivedEvent = ChatEvent | UnknownErrorEvent | UnknownLeftEvent;

const EVENT_TYPES: ReadonlySet<string> = new Set<ChatEvent["type"]>([
  "welcome",
  "joined",
  "left",
  "message",
  "announcement",
  "history",
  "members",
  "error",
  "pong",
  "hello_ok",
]);

/**
 * Whether a `type` tag names an event this code knows. A client reading
 * JSON from a newer server skips objects of other types rather than fail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isEventType("message"), true);
 * assert.equal(isEventType("reaction"), false);
 * ```
 */
export function isEventType(type: unknown): type is ChatEvent["type"] {
  return typeof type === "string" && EVENT_TYPES.has(type);
}

/** Events that are fanned out to a room (and carried between nodes). */
export type RoomEvent =
  | JoinedEvent
  | LeftEvent
  | MessageEvent
  | AnnouncementEvent;
