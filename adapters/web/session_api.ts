/// <reference lib="dom" />
/**
 * The page's HTTP calls for its session: `POST /api/rooms/ROOM/sessions`
 * makes one (so a refused name is answered before any socket opens), and
 * `DELETE /api/sessions/me` ends one when no socket is open.
 * adapters/web/connection.ts makes the calls and keeps what they answer.
 *
 * @module
 */

import type { ErrorCodeName } from "../../core/errors.ts";

/** A refused join or room change: the core's code and the server's detail. */
export interface Refusal {
  /** Stable code, such as `NAME_TAKEN`, or `UNREACHABLE`. */
  readonly code: ErrorCodeName | "UNREACHABLE";
  /** The server's English detail. */
  readonly detail: string;
}

/**
 * What a session request came to: the session (its token, and the room and
 * name as the server spelled them), a refusal, or a reason to try again
 * later (no answer, or the server is busy or failing).
 */
export type Created =
  | { token: string; room?: string; name?: string }
  | { refusal: Refusal }
  | { retry: true };

/**
 * Make an HTTP session in a room.
 *
 * @param base The server's origin.
 * @param room The room.
 * @param name The name to join with.
 */
export async function createSession(
  base: URL,
  room: string,
  name: string,
): Promise<Created> {
  const url = new URL(`/api/rooms/${encodeURIComponent(room)}/sessions`, base);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
  } catch {
    return { retry: true };
  }
  const body = await response.json().catch(() => ({})) as Record<
    string,
    unknown
  >;
  if (response.status === 201 && typeof body.token === "string") {
    return {
      token: body.token,
      ...(typeof body.room === "string" ? { room: body.room } : {}),
      ...(typeof body.name === "string" ? { name: body.name } : {}),
    };
  }
  if (response.status >= 500 || response.status === 429) {
    return { retry: true };
  }
  return {
    refusal: {
      code:
        (typeof body.code === "string" ? body.code : "UNREACHABLE") as Refusal[
          "code"
        ],
      detail: typeof body.detail === "string"
        ? body.detail
        : `HTTP ${response.status}`,
    },
  };
}

/**
 * End an HTTP session directly (best effort: no answer is awaited, and the
 * request outlives the page).
 *
 * @param base The server's origin.
 * @param token The session's token.
 */
export function endSession(base: URL, token: string): void {
  fetch(new URL("/api/sessions/me", base), {
    method: "DELETE",
    headers: { authorization: `Bearer ${token}` },
    keepalive: true,
  }).catch(() => {});
}
