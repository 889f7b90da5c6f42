/**
 * HTTP sessions: join (`POST /api/rooms/{room}/sessions`, which gives the
 * session token), leave (`DELETE /api/sessions/me`), say
 * (`POST /api/rooms/{room}/messages`), the room's history
 * (`GET /api/rooms/{room}/messages`) and the Server-Sent Events stream
 * (`GET /api/rooms/{room}/events`, resumable with `Last-Event-ID`).
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "npm:@hono/zod-openapi@1.6";
import { requireOrigin, requireRoom, requireSession } from "./guards.ts";
import type { HttpHub } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import { remoteOf } from "./remote.ts";
import { ROUTES } from "./routes.ts";
import { SseSink } from "./sse.ts";

/**
 * Register the session routes on an app, with the origin check on joins.
 *
 * @param app The app (adapters/http/app.ts).
 * @param hub The hub (chat, sessions, limits).
 * @example
 * ```ts ignore
 * registerSessionRoutes(app, hub);
 * ```
 */
export function registerSessionRoutes(app: OpenAPIHono, hub: HttpHub): void {
  const chat = hub.chat;
  // Joining opens a chat session without a token: a page from another site
  // must not reach it through the user's browser. The other routes need a
  // bearer token, which such a page cannot read.
  app.use("/api/rooms/:room/sessions", async (c, next) => {
    if (c.req.method === "POST") requireOrigin(hub, c.req.raw, "join");
    await next();
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

  app.openapi(createRoute(ROUTES.deleteSession), async (c) => {
    const session = await requireSession(hub, c.req.header("authorization"));
    session.command({ type: "leave" });
    // Answered once the name is free on every node: a join right after
    // this answer, on any isolate, can take it.
    await session.core.released();
    return c.body(null, 204);
  });

  app.openapi(createRoute(ROUTES.history), async (c) => {
    const session = await requireSession(hub, c.req.header("authorization"));
    requireRoom(session, c.req.valid("param").room, "show history");
    const room = session.core.room!;
    let entries;
    try {
      entries = await chat.history(room);
    } catch {
      throw HttpProblem.fromCore(
        "UNAVAILABLE",
        "Cannot show history: the cluster did not answer",
      );
    }
    const messages = entries.map(({ time, event }) =>
      event.type === "message"
        ? { time, ...event }
        : { time, type: event.type, room: event.room, text: event.text }
    );
    return c.json({ room, messages }, 200);
  });

  app.openapi(createRoute(ROUTES.say), async (c) => {
    const session = await requireSession(hub, c.req.header("authorization"));
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
    return c.json({ id: session.core.seq }, 202);
  });

  app.openapi(createRoute(ROUTES.events), async (c) => {
    const header = c.req.header("last-event-id")?.trim();
    if (header !== undefined && header !== "" && !/^\d{1,10}$/.test(header)) {
      throw new HttpProblem(
        422,
        "INVALID_REQUEST",
        "Cannot resume: Last-Event-ID must be an event id",
      );
    }
    const after = header ? Number(header) : undefined;
    const session = await requireSession(hub, c.req.header("authorization"), {
      steal: true,
      seen: after,
    });
    requireRoom(session, c.req.valid("param").room, "stream events");
    const sink = new SseSink({
      limit: chat.limits.outboundBytes,
      lingerMs: hub.limits.lingerMs,
      retryMs: Math.max(100, Math.min(1000, chat.limits.resumeGraceMs / 2)),
      onClose: (s, byClient) => {
        hub.streams.sse--;
        if (byClient) session.detach(s);
      },
    });
    hub.streams.sse++;
    session.attach(sink, after);
    return new Response(sink.stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    }) as never;
  });
}
