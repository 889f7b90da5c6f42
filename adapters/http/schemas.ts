/**
 * The JSON shapes of the HTTP API, as zod schemas: request bodies, response
 * bodies (they generate the OpenAPI document) and the WebSocket commands.
 * Schemas check shapes only; names, rooms and message sizes are checked by
 * the core so that every transport refuses them with the same codes.
 *
 * @module
 */

import { z } from "npm:zod@4";
import type { Command } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import { wellFormed } from "./strict_utf8.ts";

/** `POST /api/announcements` body. */
export const AnnouncementRequest = z.strictObject({
  text: z.string().meta({ example: "server restarts at 10" }),
  room: z.string().optional().meta({
    description: "One room; every room when left out.",
    example: "lobby",
  }),
}).meta({ id: "AnnouncementRequest" });

/** `POST /api/announcements` answer. */
export const AnnouncementResult = z.object({
  rooms: z.int().meta({ description: "Rooms reached on this node." }),
  delivered: z.int().meta({ description: "Members reached on this node." }),
}).meta({ id: "AnnouncementResult", example: { rooms: 2, delivered: 5 } });

/** One room in `GET /api/rooms`. */
export const RoomInfo = z.object({
  name: z.string(),
  members: z.int(),
}).meta({ id: "RoomInfo" });

/** `GET /api/rooms` answer. */
export const RoomList = z.object({ rooms: z.array(RoomInfo) }).meta({
  id: "RoomList",
  example: { rooms: [{ name: "lobby", members: 2 }] },
});

/** `GET /api/rooms/{room}/members` answer. */
export const MemberList = z.object({
  room: z.string(),
  members: z.array(z.string()),
  total: z.int(),
}).meta({
  id: "MemberList",
  example: { room: "lobby", members: ["amy", "bob"], total: 2 },
});

/** `POST /api/rooms/{room}/sessions` body. */
export const SessionRequest = z.strictObject({
  name: z.string().meta({ example: "bob" }),
}).meta({ id: "SessionRequest" });

/** `POST /api/rooms/{room}/sessions` answer. */
export const SessionCreated = z.object({
  token: z.string().meta({
    description:
      "Send as `Authorization: Bearer <token>`, or in the first WebSocket message.",
  }),
  room: z.string().meta({ description: "The room, canonical." }),
  name: z.string().meta({ description: "Your name as others see it." }),
}).meta({
  id: "SessionCreated",
  example: { token: "kq3...", room: "lobby", name: "bob" },
});

/** `POST /api/rooms/{room}/messages` body. */
export const MessageRequest = z.strictObject({
  text: z.string().meta({ example: "hi" }),
}).meta({ id: "MessageRequest" });

/** `POST /api/rooms/{room}/messages` answer. */
export const MessageAccepted = z.object({
  id: z.int().meta({
    description:
      "The number of the last event of your own stream when the message was accepted (it comes after that event; you are not sent your own message).",
  }),
}).meta({ id: "MessageAccepted", example: { id: 42 } });

/** One entry of a room's history. */
export const HistoryItem = z.object({
  time: z.int().meta({
    description: "When it was said, in ms since the Unix epoch.",
  }),
  type: z.enum(["message", "announcement"]),
  room: z.string().nullable().meta({
    description: "The room; null for an announcement to every room.",
  }),
  from: z.string().optional().meta({
    description: "Who said it (messages only).",
  }),
  text: z.string(),
}).meta({ id: "HistoryItem" });

/** `GET /api/rooms/{room}/messages` answer. */
export const MessageHistory = z.object({
  room: z.string(),
  messages: z.array(HistoryItem),
}).meta({
  id: "MessageHistory",
  example: {
    room: "lobby",
    messages: [
      {
        time: 1764172834102,
        type: "message",
        room: "lobby",
        from: "amy",
        text: "hi",
      },
      {
        time: 1764172840000,
        type: "announcement",
        room: null,
        text: "server restarts at 10",
      },
    ],
  },
});

/** `GET /healthz` answer. */
export const Health = z.object({
  status: z.enum(["ok", "shutting_down"]),
}).meta({ id: "Health" });

/** An RFC 9457 problem document. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.string().meta({ description: "Stable code, such as NAME_TAKEN." }),
}).meta({
  id: "Problem",
  example: {
    type: "urn:roomcast:error:NAME_TAKEN",
    title: "Conflict",
    status: 409,
    detail: 'Cannot join room "lobby": name "bob" is taken',
    code: "NAME_TAKEN",
  },
});

/** The `room` path parameter. */
export const RoomParam = z.object({
  room: z.string().meta({
    param: { name: "room", in: "path" },
    example: "lobby",
  }),
});

const u32 = z.int().min(0).max(0xffff_ffff);

/** A WebSocket message from the client: a command, or `auth` first. */
export const ClientMessage = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("auth"),
    token: z.string().min(1),
    seen: u32.optional(),
  }),
  z.strictObject({
    type: z.literal("hello"),
    version: z.int().min(0).max(0xffff),
    software: z.string(),
  }),
  z.strictObject({
    type: z.literal("join"),
    room: z.string(),
    name: z.string(),
  }),
  z.strictObject({ type: z.literal("say"), text: z.string() }),
  z.strictObject({
    type: z.literal("who"),
    room: z.string().optional(),
  }),
  z.strictObject({ type: z.literal("leave") }),
  z.strictObject({ type: z.literal("ping"), nonce: u32 }),
  z.strictObject({
    type: z.literal("resume"),
    token: z.string(),
    seen: u32,
  }),
  z.strictObject({ type: z.literal("recall") }),
]);

/** What {@link parseClientMessage} made of a WebSocket message. */
export type ParsedMessage =
  | {
    readonly ok: true;
    readonly auth: string;
    readonly seen: number | undefined;
  }
  | { readonly ok: true; readonly command: Command }
  | {
    readonly ok: false;
    readonly code: ErrorCodeName;
    readonly message: string;
  };

const KNOWN_TYPES = new Set([
  "auth",
  "hello",
  "join",
  "say",
  "who",
  "leave",
  "ping",
  "resume",
  "recall",
]);

/**
 * Parse and check one WebSocket text message.
 *
 * @param text The message.
 * @param maxBytes Largest message accepted, in UTF-8 bytes.
 * @returns The command (or auth token), or a refusal with a stable code.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseClientMessage('{"type":"say","text":"hi"}', 100), {
 *   ok: true,
 *   command: { type: "say", text: "hi" },
 * });
 * assert.equal(parseClientMessage('{"type":"shout"}', 100).ok, false);
 * ```
 */
export function parseClientMessage(
  text: string,
  maxBytes: number,
): ParsedMessage {
  if (
    text.length > maxBytes || (text.length * 3 > maxBytes &&
      new TextEncoder().encode(text).length > maxBytes)
  ) {
    return {
      ok: false,
      code: "FRAME_TOO_LARGE",
      message: `Cannot accept message: larger than ${maxBytes} bytes`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      ok: false,
      code: "FRAME_MALFORMED",
      message: "Cannot accept message: it is not JSON",
    };
  }
  if (text.includes("\\u") && !wellFormed(value)) {
    return {
      ok: false,
      code: "INVALID_UTF8",
      message:
        "Cannot accept message: a string holds a lone surrogate (such as \\ud800), which is not Unicode text",
    };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || !KNOWN_TYPES.has(type)) {
    return {
      ok: false,
      code: "UNKNOWN_TYPE",
      message: `Cannot accept message: type ${
        JSON.stringify(type ?? null)
      } is not one of ${[...KNOWN_TYPES].join(", ")}`,
    };
  }
  const parsed = ClientMessage.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      code: "FRAME_MALFORMED",
      message: `Cannot accept ${type}: ${describeIssues(parsed.error)}`,
    };
  }
  const m = parsed.data;
  if (m.type === "auth") return { ok: true, auth: m.token, seen: m.seen };
  if (m.type === "who") {
    return { ok: true, command: { type: "who", room: m.room ?? "" } };
  }
  return { ok: true, command: m };
}

/**
 * One line describing what is wrong, from zod's issues.
 *
 * @param error A zod error.
 * @returns Such as `text: expected string, received number`.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  }).join("; ");
}
