/**
 * The HTTP adapter: a Hono app over the chat core (announcements, rooms,
 * members, HTTP sessions with Server-Sent Events, WebSocket sessions,
 * health, metrics and an OpenAPI document), {@link listenHttp} to serve it,
 * and a default export with `fetch` so `deno serve adapters/http/app.ts` runs a
 * chat on its own. Hono lives here; the other `http_*.ts` files use web
 * standards only. docs/http.md documents every route.
 *
 * @module
 */

import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Chat } from "../../core/chat.ts";
import {
  canonicalRoom,
  requireOrigin,
  requireRoom,
  requireSession,
} from "./guards.ts";
import type { HttpHub } from "./hub.ts";
import {
  type HttpListener,
  type HttpOptions,
  listenHttpWith,
  standaloneWith,
} from "./listen.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import { hostAllowed } from "./origin.ts";
import { HttpProblem } from "./problem.ts";
import { ROUTES } from "./routes.ts";
import { describeIssues } from "./schemas.ts";
import { SseSink } from "./sse.ts";
import { upgradeToWebSocket } from "./ws.ts";
import { registerWebPage } from "./web_page.ts";

export type { HttpListener, HttpOptions } from "./listen.ts";
export { HttpHub } from "./hub.ts";

/**
 * Build the Hono app over a hub. Routes are defined once, with zod schemas
 * that validate requests and generate `GET /api/openapi.json`.
 *
 * @param hub The HTTP hub (chat, sessions, admin token).
 * @returns The app; `app.fetch` serves it, `app.request` tests it.
 * @example
 * ```ts ignore
 * const hub = new HttpHub(chat, { adminToken: "a-long-secret-token" });
 * const app = createHttpApp(hub);
 * const res = await app.request("/api/rooms");
 * ```
 */
export function createHttpApp(hub: HttpHub): OpenAPIHono {
  const chat = hub.chat;
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) {
        return new HttpProblem(
          422,
          "INVALID_REQUEST",
          `Cannot accept request: ${describeIssues(result.error)}`,
        ).toResponse();
      }
    },
  });

  const limitBody = bodyLimit({
    maxSize: hub.limits.maxBodyBytes,
    onError: () =>
      new HttpProblem(
        413,
        "BODY_TOO_LARGE",
        `Cannot read body: larger than ${hub.limits.maxBodyBytes} bytes`,
      ).toResponse(),
  });
  // A loopback server answers only to its own names, so that a web page
  // cannot reach it by DNS rebinding (adapters/http/origin.ts).
  app.use("*", async (c, next) => {
    const host = c.req.header("host");
    if (!hostAllowed(host, hub.allowHosts)) {
      throw new HttpProblem(
        421,
        "HOST_NOT_ALLOWED",
        `Cannot serve host ${
          JSON.stringify(host)
        }: not a name of this server (see serve --allow-host)`,
      );
    }
    await next();
  });
  // Only requests that carry a body: for the others the middleware would
  // copy the request for nothing.
  app.use(
    "/api/*",
    (c, next) => c.req.method === "POST" ? limitBody(c, next) : next(),
  );
  // The two routes that open a chat session without a token: a page from
  // another site must not reach them through the user's browser (a
  // WebSocket is not bound by CORS). The others need a bearer token, which
  // such a page cannot read.
  app.use("/api/ws", async (c, next) => {
    requireOrigin(hub, c.req.raw, "open a chat session");
    await next();
  });
  app.use("/api/rooms/:room/sessions", async (c, next) => {
    if (c.req.method === "POST") requireOrigin(hub, c.req.raw, "join");
    await next();
  });
  app.use("/api/announcements", async (c, next) => {
    const check = await hub.checkAdmin(c.req.header("authorization"));
    if (check === "missing") {
      throw new HttpProblem(
        401,
        "UNAUTHORIZED",
        "Cannot announce: send Authorization: Bearer <admin token>",
        { "www-authenticate": 'Bearer realm="roomcast"' },
      );
    }
    if (check === "wrong") {
      throw new HttpProblem(
        403,
        "FORBIDDEN",
        "Cannot announce: the admin token is wrong",
      );
    }
    await next();
  });

  app.openapi(createRoute(ROUTES.announce), (c) => {
    const { text, room } = c.req.valid("json");
    const result = chat.announce(text, room);
    if (!result.ok) throw HttpProblem.fromCore(result.code, result.message);
    return c.json({ rooms: result.rooms, delivered: result.delivered }, 202);
  });

  app.openapi(createRoute(ROUTES.rooms), async (c) => {
    const rooms = await chat.rooms();
    return c.json(
      { rooms: rooms.map((r) => ({ name: r.room, members: r.members })) },
      200,
    );
  });

  app.openapi(createRoute(ROUTES.members), async (c) => {
    const room = canonicalRoom(c.req.valid("param").room);
    const members = await chat.members(room);
    if (members.length === 0) {
      throw new HttpProblem(
        404,
        "ROOM_NOT_FOUND",
        `Cannot list members: room "${room}" has no members`,
      );
    }
    return c.json({ room, members: [...members], total: members.length }, 200);
  });

  app.openapi(createRoute(ROUTES.createSession), async (c) => {
    const { room } = c.req.valid("param");
    const { name } = c.req.valid("json");
    const session = hub.createSession(remoteOf(c));
    const outcome = await session.join(room, name);
    if (outcome.type === "error") {
      session.disconnect();
      throw HttpProblem.fromCore(outcome.code, outcome.message);
    }
    return c.json({
      token: session.token!,
      room: outcome.room,
      name: outcome.name,
    }, 201);
  });

  app.openapi(createRoute(ROUTES.deleteSession), (c) => {
    requireSession(hub, c.req.header("authorization")).command({
      type: "leave",
    });
    return c.body(null, 204);
  });

  app.openapi(createRoute(ROUTES.say), (c) => {
    const session = requireSession(hub, c.req.header("authorization"));
    requireRoom(session, c.req.valid("param").room, "send message");
    const error = session.capture({
      type: "say",
      text: c.req.valid("json").text,
    });
    if (error !== undefined) {
      const rate = chat.limits.messagesPerSecond;
      throw HttpProblem.fromCore(
        error.code,
        error.message,
        error.code === "RATE_LIMITED"
          ? { "retry-after": String(Math.max(1, Math.ceil(1 / rate))) }
          : {},
      );
    }
    return c.json({ id: hub.replay.lastId }, 202);
  });

  app.openapi(createRoute(ROUTES.events), (c) => {
    const session = requireSession(hub, c.req.header("authorization"));
    requireRoom(session, c.req.valid("param").room, "stream events");
    const header = c.req.header("last-event-id")?.trim();
    if (header !== undefined && header !== "" && !/^\d{1,15}$/.test(header)) {
      throw new HttpProblem(
        422,
        "INVALID_REQUEST",
        "Cannot resume: Last-Event-ID must be an event id",
      );
    }
    const sink = new SseSink({
      limit: chat.limits.outboundBytes,
      lingerMs: hub.limits.lingerMs,
      retryMs: Math.max(100, Math.min(1000, hub.limits.graceMs / 2)),
      onClose: (s, byClient) => {
        hub.streams.sse--;
        if (byClient) session.detach(s);
      },
    });
    hub.streams.sse++;
    session.attach(sink, header ? Number(header) : undefined);
    return new Response(sink.stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    }) as never;
  });

  app.openapi(
    createRoute(ROUTES.ws),
    (c) => upgradeToWebSocket(hub, c.req.raw, remoteOf(c)) as never,
  );

  app.openapi(
    createRoute(ROUTES.health),
    (c) =>
      chat.closing
        ? c.json({ status: "shutting_down" as const }, 503)
        : c.json({ status: "ok" as const }, 200),
  );

  app.openapi(createRoute(ROUTES.metrics), (c) =>
    c.text(
      renderMetrics(chat, {
        sessions: hub.sessions,
        sse: hub.streams.sse,
        ws: hub.streams.ws,
        replayRooms: hub.replay.rooms,
        replayBytes: hub.replay.bytes,
      }),
      200,
      { "content-type": METRICS_CONTENT_TYPE },
    ));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The admin token, or a session token.",
  });
  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "roomcast",
      version: "0.1.0",
      description:
        "Chat rooms that any program can join. Errors are application/problem+json (RFC 9457) with a stable `code`. See docs/http.md.",
    },
  });

  registerWebPage(app);

  app.notFound((c) =>
    new HttpProblem(
      404,
      "NOT_FOUND",
      `Cannot ${c.req.method} ${new URL(c.req.url).pathname}: no such route`,
    ).toResponse()
  );

  app.onError((error, c) => {
    if (error instanceof HttpProblem) return error.toResponse();
    if (error instanceof HTTPException) {
      if (error.status === 400) {
        return new HttpProblem(
          400,
          "MALFORMED_JSON",
          "Cannot read body: it is not valid JSON",
        ).toResponse();
      }
      if (error.status === 415) {
        return new HttpProblem(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "Cannot read body: send Content-Type: application/json",
        ).toResponse();
      }
      return new HttpProblem(
        error.status,
        "INVALID_REQUEST",
        `Cannot accept request: ${error.message}`,
      ).toResponse();
    }
    hub.log({
      event: "error",
      transport: "http",
      path: new URL(c.req.url).pathname,
      message: error instanceof Error ? error.message : String(error),
    });
    return new HttpProblem(
      500,
      "INTERNAL",
      "Cannot answer: internal error (logged on the server)",
    ).toResponse();
  });

  return app;
}

function remoteOf(c: Context): string | undefined {
  const info = c.env as { remoteAddr?: Deno.NetAddr } | undefined;
  const addr = info?.remoteAddr;
  return addr?.hostname ? `${addr.hostname}:${addr.port}` : undefined;
}

/**
 * Serve the HTTP API for a chat, next to its other transports.
 *
 * @param chat The chat.
 * @param options Address, admin token, limits and log.
 * @returns The running listener.
 * @throws {ListenError} When the address is in use.
 * @throws {Error} When the admin token cannot be read or written.
 * @example
 * ```ts ignore
 * const http = await listenHttp(chat, { port: 0, adminToken: "a-long-secret-token" });
 * console.log(http.url);
 * await http.close();
 * ```
 */
export function listenHttp(
  chat: Chat,
  options: HttpOptions = {},
): Promise<HttpListener> {
  return listenHttpWith(createHttpApp, chat, options);
}

/** For `deno serve adapters/http/app.ts`: the chat's HTTP API as a fetch handler. */
export default {
  async fetch(
    request: Request,
    info: Deno.ServeHandlerInfo,
  ): Promise<Response> {
    return (await standaloneWith(createHttpApp)).fetch(request, info);
  },
} satisfies Deno.ServeDefaultExport;

if (import.meta.main) standaloneWith(createHttpApp);
