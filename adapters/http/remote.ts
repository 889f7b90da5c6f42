/**
 * The remote address of a request, for logs.
 *
 * @module
 */

import type { Context } from "npm:hono@4";
import type { NativeUpgrade } from "./ws_handshake.ts";

/**
 * The `HOST:PORT` of the client of a request, when the server passed it
 * (`Deno.serve` does, as `remoteAddr`; `app.request` does not).
 *
 * @param c The request context.
 * @returns `HOST:PORT`, or undefined.
 * @example
 * ```ts ignore
 * const session = hub.createSession(remoteOf(c));
 * ```
 */
export function remoteOf(c: Context): string | undefined {
  const info = c.env as { remoteAddr?: Deno.NetAddr } | undefined;
  const addr = info?.remoteAddr;
  return addr?.hostname ? `${addr.hostname}:${addr.port}` : undefined;
}

/**
 * How to cut a request's connection at once, when the server passed a way
 * (the HTTP front does, adapters/http/front.ts): used for a WebSocket cut as
 * a slow consumer, whose queued bytes Deno would otherwise keep until its
 * peer reads them.
 *
 * @param c The request context.
 * @returns A function that closes the client's connection now, or undefined.
 */
export function abortOf(c: Context): (() => void) | undefined {
  const info = c.env as { abort?: () => void } | undefined;
  return info?.abort;
}

/**
 * The HTTP front's own WebSocket upgrade, when the front took the request
 * (adapters/http/ws_handshake.ts): the socket is then the client's own.
 *
 * @param c The request context.
 * @returns The upgrade, or undefined (use Deno's).
 */
export function upgradeOf(c: Context): NativeUpgrade | undefined {
  const info = c.env as { upgradeWebSocket?: NativeUpgrade } | undefined;
  return info?.upgradeWebSocket;
}
