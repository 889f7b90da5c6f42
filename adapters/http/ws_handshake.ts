/**
 * The opening handshake of `GET /api/ws` as the HTTP front serves it
 * itself (RFC 6455 §4.2), so that the WebSocket runs on the client's own
 * socket (adapters/http/ws_native.ts): the request's head read from the
 * first bytes of a connection, the `Request` the app answers
 * (adapters/http/ws.ts decides, with the same checks as for any request),
 * the 101 answer, and any other answer written as HTTP/1.1 before the
 * connection closes. Only a plain, well-formed upgrade is taken here;
 * anything else goes to `Deno.serve` behind the front as before, which
 * answers it as it always did.
 *
 * @module
 */

import { NativeWebSocket } from "./ws_native.ts";

/** The request target every upgrade taken here starts with. */
const PATH = "/api/ws";
/** Largest request head looked at, in bytes: a bigger one goes behind. */
export const MAX_UPGRADE_HEAD = 8 * 1024;
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const latin1 = new TextDecoder("latin1");
const ascii = new TextEncoder();

/** An upgrade request read off a connection. */
export interface UpgradeHead {
  /** The request target (`/api/ws?...`). */
  readonly target: string;
  readonly headers: Headers;
  /** Bytes after the head (frames a client sent at once). */
  readonly rest: Uint8Array;
}

/**
 * Read a WebSocket upgrade off the first bytes of a connection.
 *
 * @param bytes What the client sent so far.
 * @returns The upgrade; `"more"` when these bytes may begin one and its
 *   head is not whole yet; undefined for anything else (the front passes
 *   it on).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readUpgradeHead } from "./ws_handshake.ts";
 * const head = new TextEncoder().encode(
 *   "GET /api/ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n" +
 *     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
 * );
 * assert.equal(readUpgradeHead(head.subarray(0, 20)), "more");
 * const up = readUpgradeHead(head);
 * assert.ok(typeof up === "object");
 * assert.equal(up.target, "/api/ws");
 * assert.equal(readUpgradeHead(new TextEncoder().encode("GET / HTTP/1.1\r\n")), undefined);
 * ```
 */
export function readUpgradeHead(
  bytes: Uint8Array,
): UpgradeHead | "more" | undefined {
  const start = latin1.decode(bytes.subarray(0, MAX_UPGRADE_HEAD));
  const prefix = "GET " + PATH;
  if (start.length < prefix.length + 1) {
    return prefix.startsWith(start) ? "more" : undefined;
  }
  if (!start.startsWith(prefix) || !" ?".includes(start[prefix.length]!)) {
    return undefined;
  }
  const end = start.indexOf("\r\n\r\n");
  if (end < 0) return bytes.length < MAX_UPGRADE_HEAD ? "more" : undefined;
  const lines = start.slice(0, end).split("\r\n");
  const request = /^GET (\/api\/ws(?:\?[\x21-\x7e]*)?) HTTP\/1\.1$/.exec(
    lines[0]!,
  );
  if (request === null) return undefined;
  const headers = new Headers();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    try {
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    } catch {
      return undefined; // not a valid header name or value
    }
  }
  const connection = (headers.get("connection") ?? "").toLowerCase();
  if (
    headers.get("upgrade")?.toLowerCase() !== "websocket" ||
    !connection.split(",").some((t) => t.trim() === "upgrade") ||
    headers.get("sec-websocket-version") !== "13" ||
    !/^[A-Za-z0-9+/]{22}==$/.test(headers.get("sec-websocket-key") ?? "") ||
    !/^[A-Za-z0-9.:[\]-]+$/.test(headers.get("host") ?? "") ||
    headers.has("content-length") || headers.has("transfer-encoding")
  ) return undefined;
  return {
    target: request[1]!,
    headers,
    rest: bytes.slice(end + 4),
  };
}

/**
 * The `Sec-WebSocket-Accept` of a key.
 *
 * @param key The client's `Sec-WebSocket-Key`.
 * @returns base64(SHA-1(key + GUID)).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptKey } from "./ws_handshake.ts";
 * // RFC 6455 §1.3's example.
 * assert.equal(
 *   await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
 *   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 * );
 * ```
 */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", ascii.encode(key + GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/**
 * The 101 answer.
 *
 * @param accept The `Sec-WebSocket-Accept`.
 * @param protocol The subprotocol chosen, or "".
 * @param headers Headers the app set on its answer (security headers).
 * @returns Its bytes.
 */
export function switchingProtocols(
  accept: string,
  protocol: string,
  headers: Headers,
): Uint8Array {
  let head = "HTTP/1.1 101 Switching Protocols\r\n" +
    "upgrade: websocket\r\nconnection: Upgrade\r\n" +
    `sec-websocket-accept: ${accept}\r\n`;
  if (protocol !== "") head += `sec-websocket-protocol: ${protocol}\r\n`;
  for (const [name, value] of headers) {
    if (!HOP_BY_HOP.has(name)) head += `${name}: ${value}\r\n`;
  }
  return ascii.encode(head + "\r\n");
}

/** Headers the front writes itself, never copied from an app's answer. */
const HOP_BY_HOP = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "sec-websocket-accept",
  "sec-websocket-protocol",
]);

/**
 * An app's answer (a refusal: 403, 404, 426...) as HTTP/1.1 bytes, the
 * connection to close after it.
 *
 * @param response The answer.
 * @returns Its head and body.
 */
export async function responseBytes(response: Response): Promise<Uint8Array> {
  const body = new Uint8Array(await response.arrayBuffer());
  const reason = response.statusText || STATUS_TEXT[response.status] ||
    "Refused";
  let head = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  for (const [name, value] of response.headers) {
    if (!HOP_BY_HOP.has(name)) head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  const headBytes = ascii.encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * Upgrade a request to a WebSocket on the client's own socket: what the
 * app (adapters/http/ws.ts) calls instead of `Deno.upgradeWebSocket` when
 * the front took the request.
 */
export type NativeUpgrade = (
  protocol: string | undefined,
) => { socket: WebSocket; response: Response };

/** The connection an upgrade is served on (adapters/http/front_connection.ts). */
export interface UpgradeConnection {
  /** Cut it now (a slow consumer). */
  close(): void;
  /** Its WebSocket closed the socket. */
  nativeEnded(): void;
}

/**
 * What the app is given with an upgrade request taken by the front: as
 * `Deno.ServeHandlerInfo`, plus a way to cut the connection and the
 * upgrade itself.
 */
export interface NativeUpgradeInfo extends Deno.ServeHandlerInfo {
  readonly abort: () => void;
  readonly upgradeWebSocket: NativeUpgrade;
}

/**
 * Serve an upgrade request the front read: the app answers it; if it
 * upgraded, the 101 goes out and the WebSocket starts on the client's
 * socket; else its answer is written (the connection then closes).
 *
 * @param client The client's socket.
 * @param head The request's head.
 * @param c The front's connection.
 * @param answer The app.
 * @param maxMessageBytes The largest message a client may send.
 * @returns The WebSocket, or undefined when the app did not upgrade.
 */
export async function serveUpgrade(
  client: Deno.Conn,
  head: UpgradeHead,
  c: UpgradeConnection,
  answer: (
    request: Request,
    info: NativeUpgradeInfo,
  ) => Response | Promise<Response>,
  maxMessageBytes: number,
): Promise<NativeWebSocket | undefined> {
  let socket: NativeWebSocket | undefined;
  let protocol = "";
  let response: Response;
  try {
    const request = new Request(
      `http://${head.headers.get("host")}${head.target}`,
      { headers: head.headers },
    );
    response = await answer(request, {
      remoteAddr: client.remoteAddr as Deno.NetAddr,
      completed: Promise.resolve(),
      abort: () => c.close(),
      upgradeWebSocket: (p) => {
        protocol = p ?? "";
        socket = new NativeWebSocket(client, {
          protocol,
          maxMessageBytes,
          ended: () => c.nativeEnded(),
        });
        return {
          socket: socket as unknown as WebSocket,
          response: new Response(null),
        };
      },
    });
  } catch {
    // Not a request the app can take (a Host that is no host).
    response = new Response("Bad Request", { status: 400 });
  }
  if (socket === undefined) {
    const bytes = await responseBytes(response);
    for (let at = 0; at < bytes.length;) {
      at += await client.write(bytes.subarray(at));
    }
    return undefined;
  }
  const accept = await acceptKey(head.headers.get("sec-websocket-key")!);
  socket.start(
    switchingProtocols(accept, protocol, response.headers),
    head.rest,
  );
  return socket;
}
