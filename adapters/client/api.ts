/**
 * A small client of the HTTP API, for `cli.ts announce`, `rooms` and `who`
 * and for programs that embed roomcast: each call is one request; a problem
 * response becomes an {@link ApiError} carrying its stable code and detail.
 *
 * @module
 */

import { ConnectError } from "./connection.ts";

/** The server answered with a problem (RFC 9457). */
export class ApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** The problem's stable code, such as `FORBIDDEN`. */
  readonly code: string;

  /**
   * A problem answer.
   *
   * @param status HTTP status.
   * @param code Stable code.
   * @param detail The problem's detail.
   */
  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** What an announcement reached on the node that took it. */
export interface AnnounceAnswer {
  /** Rooms reached. */
  readonly rooms: number;
  /** Members reached. */
  readonly delivered: number;
}

/** A room and its member count. */
export interface RoomSummary {
  /** Room name. */
  readonly name: string;
  /** Members, cluster-wide. */
  readonly members: number;
}

/** The members of a room. */
export interface RoomMembers {
  /** Room name (canonical). */
  readonly room: string;
  /** Member names. */
  readonly members: readonly string[];
  /** Member count. */
  readonly total: number;
}

/**
 * Calls to one server.
 *
 * @example
 * ```ts ignore
 * const api = new ApiClient("http://127.0.0.1:8787");
 * const { delivered } = await api.announce("restart at 10", { token });
 * ```
 */
export class ApiClient {
  /** The server's base URL. */
  readonly base: URL;

  /**
   * A client of one server.
   *
   * @param server `http://HOST:PORT` (a path prefix is kept).
   * @throws {TypeError} When it is not an http:// or https:// URL.
   */
  constructor(server: string | URL) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new TypeError(
        `Cannot use server "${server}": not a URL (try http://127.0.0.1:8787)`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(
        `Cannot use server "${url.href}": it must be an http:// or https:// URL`,
      );
    }
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    this.base = url;
  }

  /**
   * Announce as the administrator.
   *
   * @param text What to say.
   * @param options The admin token, and a room (default: every room).
   * @returns Rooms and members reached.
   * @throws {ApiError} 401/403 for the token, 422 for the text or room.
   * @throws {ConnectError} When the server cannot be reached.
   */
  announce(
    text: string,
    options: { token: string; room?: string | undefined },
  ): Promise<AnnounceAnswer> {
    return this.#call("api/announcements", {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}` },
      body: {
        text,
        ...(options.room !== undefined ? { room: options.room } : {}),
      },
    });
  }

  /** Rooms with members. */
  async rooms(): Promise<RoomSummary[]> {
    const answer = await this.#call<{ rooms: RoomSummary[] }>("api/rooms");
    return answer.rooms;
  }

  /**
   * Members of a room.
   *
   * @param room Room name.
   * @throws {ApiError} 404 ROOM_NOT_FOUND when nobody is in it.
   */
  members(room: string): Promise<RoomMembers> {
    return this.#call(`api/rooms/${encodeURIComponent(room)}/members`);
  }

  async #call<T>(
    path: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
    } = {},
  ): Promise<T> {
    const url = new URL(path, this.base);
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method ?? "GET",
        headers: {
          accept: "application/json",
          ...(init.body !== undefined
            ? { "content-type": "application/json" }
            : {}),
          ...init.headers,
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } catch (cause) {
      throw new ConnectError(
        `Cannot connect to ${this.base.origin}: ${connectReason(cause)}`,
        { cause },
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const p = body as { code?: unknown; detail?: unknown } | undefined;
      throw new ApiError(
        response.status,
        typeof p?.code === "string" ? p.code : `HTTP_${response.status}`,
        typeof p?.detail === "string"
          ? p.detail
          : `Cannot ${
            init.method ?? "GET"
          } ${url.pathname}: HTTP ${response.status}`,
      );
    }
    if (body === undefined) {
      throw new ApiError(
        response.status,
        "BAD_RESPONSE",
        `Cannot read answer of ${url.pathname}: not JSON`,
      );
    }
    return body as T;
  }
}

/**
 * Why fetch could not connect, in the words the other transports use: fetch
 * says only `fetch failed`, its cause `error sending request for url (...):
 * client error (Connect): tcp connect error: Connection refused (os error
 * 111)`; the last part is the reason.
 */
function connectReason(e: unknown): string {
  let inner = e;
  while (inner instanceof Error && inner.cause instanceof Error) {
    inner = inner.cause;
  }
  const message = inner instanceof Error ? inner.message : String(inner);
  return message.split(": ").at(-1) ?? message;
}
