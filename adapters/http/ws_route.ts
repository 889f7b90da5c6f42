/**
 * `GET /api/ws`: the route of WebSocket chat sessions, with its origin
 * check. adapters/http/ws.ts runs the socket.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "npm:@hono/zod-openapi@1.6";
import { requireOrigin } from "./guards.ts";
import type { HttpHub } from "./hub.ts";
import { abortOf, remoteOf, upgradeOf } from "./remote.ts";
import { ROUTES } from "./routes.ts";
import { relayOf, upgradeToWebSocket } from "./ws.ts";

/**
 * Register the WebSocket route on an app.
 *
 * @param app The app (adapters/http/app.ts).
 * @param hub The hub (sessions, allowed origins).
 * @example
 * ```ts ignore
 * registerWsRoute(app, hub);
 * ```
 */
export function registerWsRoute(app: OpenAPIHono, hub: HttpHub): void {
  // With several isolates: take the sockets others relay for this one.
  relayOf(hub);
  // A WebSocket opens a chat session without a token and is not bound by
  // CORS: a page from another site must not open one through the user's
  // browser.
  app.use("/api/ws", async (c, next) => {
    requireOrigin(hub, c.req.raw, "open a chat session");
    await next();
  });

  app.openapi(
    createRoute(ROUTES.ws),
    async (c) =>
      await upgradeToWebSocket(
        hub,
        c.req.raw,
        remoteOf(c),
        abortOf(c),
        upgradeOf(c),
      ) as never,
  );
}
