/**
 * What the app answers when a request goes wrong before or inside a
 * handler, always as an {@link HttpProblem}: a body that fails its schema
 * (422), a route that does not exist (404), Hono's own errors (malformed
 * JSON 400, wrong media type 415) and anything unexpected (500, logged).
 *
 * @module
 */

import type { z } from "npm:zod@4";
import type { Context, ErrorHandler } from "npm:hono@4";
import { HTTPException } from "npm:hono@4/http-exception";
import type { HttpHub } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import { describeIssues } from "./schemas.ts";

/** What a schema check found: the app's `defaultHook` gets one. */
export type ValidationResult =
  | { readonly success: true }
  | { readonly success: false; readonly error: z.ZodError };

/**
 * The answer to a request that failed its schema: 422 INVALID_REQUEST, or
 * nothing when it passed.
 *
 * @param result The outcome of the schema check.
 * @returns The problem response, or undefined.
 * @example
 * ```ts ignore
 * new OpenAPIHono({ defaultHook: invalidRequest });
 * ```
 */
export function invalidRequest(
  result: ValidationResult,
): Response | undefined {
  if (!result.success) {
    return new HttpProblem(
      422,
      "INVALID_REQUEST",
      `Cannot accept request: ${describeIssues(result.error)}`,
    ).toResponse();
  }
}

/**
 * The answer to a request for a route that does not exist: 404 NOT_FOUND.
 *
 * @param c The request context.
 * @returns The problem response.
 * @example
 * ```ts ignore
 * app.notFound(noSuchRoute);
 * ```
 */
export function noSuchRoute(c: Context): Response {
  return new HttpProblem(
    404,
    "NOT_FOUND",
    `Cannot ${c.req.method} ${new URL(c.req.url).pathname}: no such route`,
  ).toResponse();
}

/**
 * The app's error handler: problems thrown by handlers as they are, Hono's
 * own errors as problems with our codes, anything else as 500 INTERNAL,
 * logged through the hub.
 *
 * @param hub The hub (its log).
 * @returns The handler for `app.onError`.
 * @example
 * ```ts ignore
 * app.onError(errorHandler(hub));
 * ```
 */
export function errorHandler(hub: HttpHub): ErrorHandler {
  return (error, c) => {
    if (error instanceof HttpProblem) return error.toResponse();
    if (error instanceof HTTPException) {
      if (error.status === 400) {
        return new HttpProblem(
          400,
          "MALFORMED_JSON",
          "Cannot read body: it is not valid JSON",
        ).toResponse();
      }
      if (error.status === 415) {
        return new HttpProblem(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "Cannot read body: send Content-Type: application/json",
        ).toResponse();
      }
      return new HttpProblem(
        error.status,
        "INVALID_REQUEST",
        `Cannot accept request: ${error.message}`,
      ).toResponse();
    }
    hub.log({
      event: "error",
      transport: "http",
      path: new URL(c.req.url).pathname,
      message: error instanceof Error ? error.message : String(error),
    });
    return new HttpProblem(
      500,
      "INTERNAL",
      "Cannot answer: internal error (logged on the server)",
    ).toResponse();
  };
}
