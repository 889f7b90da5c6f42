/**
 * `GET /api/rooms` and `GET /api/rooms/{room}/members`: who is where,
 * cluster-wide. No token needed.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "npm:@hono/zod-openapi@1.6";
import { canonicalRoom } from "./guards.ts";
import type { HttpHub } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import { ROUTES } from "./routes.ts";

/**
 * Register the room listing routes on an app.
 *
 * @param app The app (adapters/http/app.ts).
 * @param hub The hub (its chat).
 * @example
 * ```ts ignore
 * registerRoomRoutes(app, hub);
 * ```
 */
export function registerRoomRoutes(app: OpenAPIHono, hub: HttpHub): void {
  const chat = hub.chat;
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
}
