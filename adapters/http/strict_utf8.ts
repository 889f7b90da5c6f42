/**
 * HTTP is as strict about text as the binary protocol: a request body that
 * is not valid UTF-8, or JSON whose strings hold a lone surrogate
 * (`"\ud800"`, which strict JSON parsers reject and no UTF-8 can carry), is
 * refused with `INVALID_UTF8`, where the runtime would have made U+FFFD of
 * the bytes and passed the surrogate on to every member. The same check
 * serves WebSocket messages (adapters/http/schemas.ts).
 *
 * @module
 */

import type { Context, Next } from "npm:hono@4";
import { HttpProblem } from "./problem.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * True when every string in a parsed JSON value (keys included) is well
 * formed: no lone surrogate.
 *
 * @param value A value from `JSON.parse`.
 * @returns Whether it can be written as UTF-8.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(wellFormed({ text: "hi 🙂" }), true);
 * assert.equal(wellFormed(JSON.parse('{"text":"\\ud800"}')), false);
 * ```
 */
export function wellFormed(value: unknown): boolean {
  if (typeof value === "string") return value.isWellFormed();
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(wellFormed);
  for (const [key, item] of Object.entries(value)) {
    if (!key.isWellFormed() || !wellFormed(item)) return false;
  }
  return true;
}

/**
 * A lone surrogate can only come into JSON text as a `\u` escape: the
 * (rare) texts with one are parsed and checked, the others pass at once.
 *
 * @param json JSON text.
 * @returns False when it parses to a value with a lone surrogate.
 */
export function jsonTextWellFormed(json: string): boolean {
  if (!json.includes("\\u")) return true;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return true; // not JSON: the parser that follows says so
  }
  return wellFormed(value);
}

/**
 * Middleware for requests with a body: read it and decode it strictly (Hono
 * keeps the bytes read for the handlers' `c.req.json()`).
 *
 * @param c The request context.
 * @param next The rest of the chain.
 * @throws {HttpProblem} 400 INVALID_UTF8.
 * @example
 * ```ts ignore
 * app.use("/api/*", strictUtf8);
 * ```
 */
export async function strictUtf8(c: Context, next: Next): Promise<void> {
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new HttpProblem(
      400,
      "INVALID_UTF8",
      "Cannot read body: it is not valid UTF-8",
    );
  }
  if (!jsonTextWellFormed(text)) {
    throw new HttpProblem(
      400,
      "INVALID_UTF8",
      "Cannot read body: a string holds a lone surrogate (such as \\ud800), which is not Unicode text",
    );
  }
  await next();
}
