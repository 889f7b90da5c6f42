/**
 * The HTTP adapter: a Hono app over the chat core (announcements, rooms,
 * members, HTTP sessions with Server-Sent Events, WebSocket sessions,
 * health, metrics and an OpenAPI document), {@link listenHttp} to serve it,
 * and a default export with `fetch` so `deno serve adapters/http/app.ts` runs a
 * chat on its own. This file wires the app: the checks every request goes
 * through, then the routes of each area (`*_routes.ts`, `ws_route.ts`), the
 * page and the error answers (`error_handlers.ts`). Only the files that
 * build the app use Hono; the others use web standards only.
 * docs/http.md documents every route.
 *
 * @module
 */

import { OpenAPIHono } from "npm:@hono/zod-openapi@1.6";
import type { Chat } from "../../core/chat.ts";
import { registerAnnouncementRoutes } from "./announcement_routes.ts";
import { bodyLimit } from "./body_limit.ts";
import { errorHandler, invalidRequest, noSuchRoute } from "./error_handlers.ts";
import { HttpForwarder, isSessionRequest, keepForwarder } from "./forward.ts";
import { bearer, type HttpHub } from "./hub.ts";
import {
  type HttpListener,
  type HttpOptions,
  listenHttpWith,
} from "./listen.ts";
import { registerOpsRoutes } from "./ops_routes.ts";
import { hostAllowed } from "./origin.ts";
import { HttpProblem } from "./problem.ts";
import { remoteOf } from "./remote.ts";
import { registerRoomRoutes } from "./room_routes.ts";
import { registerSessionRoutes } from "./session_routes.ts";
import { badToken } from "./session_token.ts";
import { standaloneWith, trackAnswer } from "./standalone.ts";
import { strictUtf8 } from "./strict_utf8.ts";
import { registerWebPage } from "./web_page.ts";
import { registerWsRoute } from "./ws_route.ts";

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
  const app = new OpenAPIHono({ defaultHook: invalidRequest });

  const limitBody = bodyLimit(
    hub.limits.maxBodyBytes,
    () =>
      new HttpProblem(
        413,
        "BODY_TOO_LARGE",
        `Cannot read body: larger than ${hub.limits.maxBodyBytes} bytes`,
      ).toResponse(),
  );
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
  // copy the request for nothing. Bodies are strict UTF-8, as frames are.
  app.use(
    "/api/*",
    (c, next) =>
      c.req.method === "POST"
        ? limitBody(c, () => strictUtf8(c, next))
        : next(),
  );
  // With several isolates, a session's requests go to the isolate that
  // holds it (adapters/http/forward.ts).
  const isolates = hub.isolates;
  if (isolates !== undefined) {
    const forwarder = new HttpForwarder(isolates, (r, i) => app.fetch(r, i));
    keepForwarder(hub, forwarder);
    app.use("/api/*", async (c, next) => {
      const token = isSessionRequest(c.req.raw)
        ? bearer(c.req.header("authorization"))
        : undefined;
      const place = token === undefined ? "here" : hub.locate(token);
      if (place === "here") return await next();
      if (typeof place === "string") throw badToken(place);
      // A home that is gone had its sessions end: 404 from the route.
      const home = isolates.isolateOf(place.home);
      if (home === undefined || !(await isolates.alive(home))) {
        return await next();
      }
      // The body, read once (and bounded) by the middleware above.
      const body = c.req.method === "POST"
        ? new Uint8Array(await c.req.arrayBuffer())
        : null;
      return await forwarder.forward(home, c.req.raw, body, remoteOf(c));
    });
  }

  // In this order, which is also the order of the OpenAPI document.
  registerAnnouncementRoutes(app, hub);
  registerRoomRoutes(app, hub);
  registerSessionRoutes(app, hub);
  registerWsRoute(app, hub);
  registerOpsRoutes(app, hub);
  registerWebPage(app);

  app.notFound(noSuchRoute);
  app.onError(errorHandler(hub));
  return app;
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
    trackAnswer(info);
    return (await standaloneWith(createHttpApp)).fetch(request, info);
  },
} satisfies Deno.ServeDefaultExport;

if (import.meta.main) standaloneWith(createHttpApp);
