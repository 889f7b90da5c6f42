/**
 * The route table of the HTTP API: method, path, request and response
 * schemas of every route. The `*_routes.ts` files and `ws_route.ts` register
 * each one with its handler; the same definitions generate
 * `GET /api/openapi.json`.
 *
 * @module
 */

import { z } from "npm:zod@4";
import {
  AnnouncementRequest,
  AnnouncementResult,
  Health,
  MemberList,
  MessageAccepted,
  MessageHistory,
  MessageRequest,
  ProblemSchema,
  RoomList,
  RoomParam,
  SessionCreated,
  SessionRequest,
} from "./schemas.ts";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

const bearerAuth = [{ bearer: [] as string[] }];

const COMMON = {
  400: problem("Malformed JSON (MALFORMED_JSON)."),
  413: problem("Body over the limit (BODY_TOO_LARGE)."),
  415: problem("Body is not application/json (UNSUPPORTED_MEDIA_TYPE)."),
  422: problem("Validation failed (INVALID_REQUEST, or a core code)."),
};

const SESSION = {
  401: problem("No session token (BAD_TOKEN)."),
  404: problem("Unknown or ended session (BAD_TOKEN)."),
};

/** Every route, by handler. */
export const ROUTES = {
  announce: {
    method: "post" as const,
    path: "/api/announcements",
    summary: "Announce as the administrator to one room or every room",
    security: bearerAuth,
    request: { body: body(AnnouncementRequest) },
    responses: {
      202: json(AnnouncementResult, "Announced; counts are this node's."),
      ...COMMON,
      401: problem("No admin token (UNAUTHORIZED)."),
      403: problem("Wrong admin token (FORBIDDEN)."),
    },
  },
  rooms: {
    method: "get" as const,
    path: "/api/rooms",
    summary: "Rooms with members, cluster-wide",
    responses: { 200: json(RoomList, "Rooms and member counts.") },
  },
  members: {
    method: "get" as const,
    path: "/api/rooms/{room}/members",
    summary: "Members of a room, cluster-wide",
    request: { params: RoomParam },
    responses: {
      200: json(MemberList, "Member names."),
      404: problem("Nobody is in the room (ROOM_NOT_FOUND)."),
      422: problem("Invalid room name (ROOM_INVALID)."),
    },
  },
  createSession: {
    method: "post" as const,
    path: "/api/rooms/{room}/sessions",
    summary: "Join a room: a session and its token",
    request: { params: RoomParam, body: body(SessionRequest) },
    responses: {
      201: json(SessionCreated, "Joined."),
      ...COMMON,
      403: problem("A page from an origin not allowed (ORIGIN_NOT_ALLOWED)."),
      409: problem("Name in use in the room (NAME_TAKEN)."),
      422: problem(
        "NAME_INVALID, NAME_RESERVED, ROOM_INVALID, INVALID_REQUEST.",
      ),
      503: problem("SERVER_FULL, SHUTTING_DOWN or UNAVAILABLE."),
    },
  },
  deleteSession: {
    method: "delete" as const,
    path: "/api/sessions/me",
    summary: "Leave: end the session of the bearer token",
    security: bearerAuth,
    responses: { 204: { description: "Left." }, ...SESSION },
  },
  say: {
    method: "post" as const,
    path: "/api/rooms/{room}/messages",
    summary: "Say something to the room of the session",
    security: bearerAuth,
    request: { params: RoomParam, body: body(MessageRequest) },
    responses: {
      202: json(MessageAccepted, "Sent to every other member."),
      ...COMMON,
      ...SESSION,
      409: problem("The session is in another room (NOT_JOINED)."),
      422: problem("MESSAGE_EMPTY, MESSAGE_TOO_LONG, INVALID_REQUEST."),
      429: problem("Over the message rate (RATE_LIMITED); see Retry-After."),
    },
  },
  history: {
    method: "get" as const,
    path: "/api/rooms/{room}/messages",
    summary: "The room's history: its last messages and announcements",
    description:
      "Oldest first, bounded by the server's --history and --history-bytes; the same entries a joiner gets as `history` events. For members of the room only.",
    security: bearerAuth,
    request: { params: RoomParam },
    responses: {
      200: json(MessageHistory, "The history."),
      ...SESSION,
      409: problem("The session is in another room (NOT_JOINED)."),
      422: problem("Invalid room name (ROOM_INVALID)."),
      503: problem("The cluster did not answer (UNAVAILABLE)."),
    },
  },
  events: {
    method: "get" as const,
    path: "/api/rooms/{room}/events",
    summary: "Server-Sent Events: everything the member receives",
    description:
      "Each event is `data: <JSON>` (the objects of `cli.ts join --json`); events after the welcome carry `id:`, their number in the member's stream. Send `Last-Event-ID` to resume, also after the stream went away, within the grace period. Heartbeats are comment lines. An `event: gap` tells that events were lost.",
    security: bearerAuth,
    request: { params: RoomParam },
    responses: {
      200: {
        description: "The event stream.",
        content: { "text/event-stream": { schema: z.string() } },
      },
      ...SESSION,
      409: problem("The session is in another room (NOT_JOINED)."),
      422: problem("Bad Last-Event-ID (INVALID_REQUEST) or room name."),
    },
  },
  ws: {
    method: "get" as const,
    path: "/api/ws",
    summary: "WebSocket chat session",
    description:
      'Client messages are commands as JSON (or, in roomcast.binary.v1, binary frames as on TCP); server messages are events: one JSON object per message (roomcast.v1), a JSON array of one turn\'s events (roomcast.batch.v1), or binary frames (roomcast.binary.v1). Authenticate with `{"type":"auth","token":"..."}` first or the subprotocol `roomcast.token.<token>`, or start with a join. See docs/http.md.',
    responses: {
      101: {
        description:
          "Switching to WebSocket, in the first subprotocol offered that the server speaks (roomcast.binary.v1, roomcast.batch.v1, roomcast.v1).",
      },
      403: problem("A page from an origin not allowed (ORIGIN_NOT_ALLOWED)."),
      404: problem("Unknown session token in the subprotocol (BAD_TOKEN)."),
      426: problem("Not a WebSocket upgrade (UPGRADE_REQUIRED)."),
    },
  },
  health: {
    method: "get" as const,
    path: "/healthz",
    summary: "Liveness",
    responses: {
      200: json(Health, "Serving."),
      503: json(Health, "Shutting down."),
    },
  },
  metrics: {
    method: "get" as const,
    path: "/metrics",
    summary: "Prometheus metrics",
    responses: {
      200: {
        description: "Text exposition format 0.0.4.",
        content: { "text/plain": { schema: z.string() } },
      },
    },
  },
};
