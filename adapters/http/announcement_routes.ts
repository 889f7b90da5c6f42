/**
 * `POST /api/announcements`: the administrator speaks to one room or every
 * room. The admin token is checked (in constant time) before the body is
 * read.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "npm:@hono/zod-openapi@1.6";
import type { HttpHub } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import { ROUTES } from "./routes.ts";

/**
 * Register the announcement route and its admin token check on an app.
 *
 * @param app The app (adapters/http/app.ts).
 * @param hub The hub (chat and admin token).
 * @example
 * ```ts ignore
 * registerAnnouncementRoutes(app, hub);
 * ```
 */
export function registerAnnouncementRoutes(
  app: OpenAPIHono,
  hub: HttpHub,
): void {
  const chat = hub.chat;
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

  app.openapi(createRoute(ROUTES.announce), async (c) => {
    const { text, room } = c.req.valid("json");
    // With several isolates, counted on every one (within a bound).
    const result = await chat.announceCounted(text, room);
    if (!result.ok) throw HttpProblem.fromCore(result.code, result.message);
    return c.json({ rooms: result.rooms, delivered: result.delivered }, 202);
  });
}
