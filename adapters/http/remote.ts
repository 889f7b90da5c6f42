/**
 * The remote address of a request, for logs.
 *
 * @module
 */

import type { Context } from "npm:hono@4";

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
