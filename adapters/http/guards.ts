/**
 * Checks shared by the HTTP routes: the web page a request comes from, the
 * session of a bearer token, and the room in a path. Each failure is an {@link HttpProblem} with a stable code.
 *
 * @module
 */

import { checkRoom } from "../../core/names.ts";
import { bearer, type HttpHub, type ReclaimOptions } from "./hub.ts";
import { originAllowed } from "./origin.ts";
import { HttpProblem } from "./problem.ts";
import type { HttpSession } from "./session.ts";

/**
 * Check that the page a request comes from may open a chat session
 * (adapters/http/origin.ts has the rule).
 *
 * @param hub The hub (its allowed origins).
 * @param request The request.
 * @param what What the request does, for the error (`open a chat session`).
 * @throws {HttpProblem} 403 ORIGIN_NOT_ALLOWED.
 */
export function requireOrigin(
  hub: HttpHub,
  request: Request,
  what: string,
): void {
  const origin = request.headers.get("origin");
  if (originAllowed(origin, request.headers.get("host"), hub.allowOrigins)) {
    return;
  }
  throw new HttpProblem(
    403,
    "ORIGIN_NOT_ALLOWED",
    `Cannot ${what}: origin ${
      JSON.stringify(origin)
    } is not allowed (see serve --allow-origin)`,
  );
}

/**
 * The session of an `Authorization: Bearer <session token>` header: the
 * open one, or one that resumes the member of the token when its
 * connection is gone (or, with `steal`, from any connection).
 *
 * @param hub The hub.
 * @param authorization The header.
 * @param options Whether to take a connected member, and the client's last
 *   event number.
 * @returns The session.
 * @throws {HttpProblem} 401 without a token, 404 for an unknown one (BAD_TOKEN).
 */
export async function requireSession(
  hub: HttpHub,
  authorization: string | undefined,
  options: ReclaimOptions = { steal: false },
): Promise<HttpSession> {
  const token = bearer(authorization);
  if (token === undefined) {
    throw new HttpProblem(
      401,
      "BAD_TOKEN",
      "Cannot find session: send Authorization: Bearer <session token>",
      { "www-authenticate": 'Bearer realm="roomcast"' },
    );
  }
  const session = await hub.reclaim(token, options);
  if (session === undefined) {
    throw new HttpProblem(
      404,
      "BAD_TOKEN",
      "Cannot find session: the token is unknown or the session ended",
    );
  }
  return session;
}

/**
 * The canonical form of a room name from a path.
 *
 * @param raw The path segment.
 * @returns The canonical name.
 * @throws {HttpProblem} 422 ROOM_INVALID.
 */
export function canonicalRoom(raw: string): string {
  const room = checkRoom(raw);
  if (!room.ok) throw HttpProblem.fromCore(room.code, room.message);
  return room.name;
}

/**
 * Check that a session is in the room of the path.
 *
 * @param session The session.
 * @param raw The room in the path.
 * @param what What the request does, for the error (`send message`).
 * @throws {HttpProblem} 409 NOT_JOINED, or 422 ROOM_INVALID.
 */
export function requireRoom(
  session: HttpSession,
  raw: string,
  what: string,
): void {
  const room = canonicalRoom(raw);
  const current = session.core.room;
  if (current !== room) {
    throw HttpProblem.fromCore(
      "NOT_JOINED",
      `Cannot ${what}: this session is in room "${
        current ?? ""
      }", not "${room}"`,
    );
  }
}
