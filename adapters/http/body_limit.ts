/**
 * A bound on request bodies that never copies the request: a body whose
 * `Content-Length` is over the bound is refused by its header; any other is
 * read up to the bound and handed to the routes through Hono's body cache,
 * so that nothing after it touches the served request's body again. (Hono's
 * `bodyLimit` makes a new `Request` from the served one, and the OpenAPI
 * validators clone it to look for a body without a `Content-Type`; both
 * read its `signal`, and Deno then warns the operator that
 * `request.signal aborts on successful responses`.)
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "npm:hono@4";

/**
 * Limit request bodies to `maxBytes`.
 *
 * @param maxBytes The largest body accepted.
 * @param tooLarge The answer to a larger body.
 * @returns The middleware.
 * @example
 * ```ts ignore
 * app.use("/api/*", bodyLimit(65536, () => new Response(null, { status: 413 })));
 * ```
 */
export function bodyLimit(
  maxBytes: number,
  tooLarge: (c: Context) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const length = raw.headers.get("content-length");
    if (length !== null && Number(length) > maxBytes) return tooLarge(c);
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return tooLarge(c);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.length;
    }
    // What Hono's body readers (c.req.json(), the validators) use first.
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(
      body.buffer,
    );
    return next();
  };
}
