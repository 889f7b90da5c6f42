/**
 * Stable error codes shared by every transport, and the error classes of the
 * core. Codes are wire numbers (see docs/protocol.md); user-facing text is
 * rendered at the edge (core/text/render.ts), never baked into these values.
 *
 * @module
 */

/** Stable error codes, by name. The numbers are sent on the wire. */
export const ErrorCode = {
  /** The frame header announces more bytes than the frame size limit. */
  FRAME_TOO_LARGE: 1,
  /** A frame's fields do not match its type (truncated, trailing bytes, bad magic). */
  FRAME_MALFORMED: 2,
  /** The frame type is not one this server knows. */
  UNKNOWN_TYPE: 3,
  /** The protocol version in HELLO is not supported. */
  UNSUPPORTED_VERSION: 4,
  /** A text field is not valid UTF-8. */
  INVALID_UTF8: 5,
  /** The first frame of a connection must be HELLO. */
  HELLO_REQUIRED: 6,
  /** SAY, or WHO of the current room, before a successful JOIN. */
  NOT_JOINED: 7,
  /** A message with no text. */
  MESSAGE_EMPTY: 8,
  /** A message longer than the message size limit. */
  MESSAGE_TOO_LONG: 9,
  /** The name is already used in that room (case-insensitively). */
  NAME_TAKEN: 10,
  /** The name breaks the naming rules (length, characters). */
  NAME_INVALID: 11,
  /** The name is reserved (admin, 管理员, server, system). */
  NAME_RESERVED: 12,
  /** The room name breaks the naming rules. */
  ROOM_INVALID: 13,
  /** No JOIN arrived within the join timeout. */
  JOIN_TIMEOUT: 14,
  /** The server has reached its connection limit. */
  SERVER_FULL: 15,
  /** Too many messages too fast; the message was not delivered. */
  RATE_LIMITED: 16,
  /** A JOIN is still being processed; wait for its answer. */
  JOIN_PENDING: 17,
  /** The server is shutting down. */
  SHUTTING_DOWN: 18,
  /** The cluster backplane could not complete the request; try again. */
  UNAVAILABLE: 19,
  /** A text-mode line longer than the line limit. */
  LINE_TOO_LONG: 20,
  /** A datagram-session token is missing or wrong. */
  BAD_TOKEN: 21,
  /** A frame does not fit in one datagram. */
  DATAGRAM_TOO_LARGE: 22,
  /** A datagram opening a session (HELLO without a token) is not padded enough. */
  DATAGRAM_TOO_SMALL: 23,
  /** No session to resume: the token is unknown, or its grace period is over. */
  RESUME_FAILED: 24,
  /** Too many refused requests in a short time: the connection is cut. */
  TOO_MANY_ERRORS: 25,
} as const;

/** Name of a stable error code, such as `"NAME_TAKEN"`. */
export type ErrorCodeName = keyof typeof ErrorCode;

const codeNames = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([name, n]) => [n, name as ErrorCodeName]),
);

/**
 * The name of a wire error code, or undefined for unknown numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(errorCodeName(10), "NAME_TAKEN");
 * ```
 */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return codeNames.get(code);
}

/** An expected refusal: a value with a stable code and an English detail. */
export interface Refusal {
  /** The stable code. */
  readonly code: ErrorCodeName;
  /** English detail for logs and for clients that do not render codes. */
  readonly message: string;
}

/**
 * Malformed bytes on the wire. `offset` is where in the frame (or buffer)
 * the problem was found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new FrameError("FRAME_MALFORMED", "Cannot decode frame: truncated", 3);
 * assert.equal(e.name, "FrameError");
 * assert.equal(e.code, "FRAME_MALFORMED");
 * ```
 */
export class FrameError extends SyntaxError {
  /** The stable code. */
  readonly code: ErrorCodeName;
  /** Byte offset where decoding failed. */
  readonly offset: number;

  /**
   * Create a new instance.
   * @param code Stable code.
   * @param message English detail.
   * @param offset Byte offset of the problem.
   * @param options Standard error options (cause).
   */
  constructor(
    code: ErrorCodeName,
    message: string,
    offset = 0,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "FrameError";
    this.code = code;
    this.offset = offset;
  }
}
