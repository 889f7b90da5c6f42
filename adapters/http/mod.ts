/**
 * The HTTP transport on Hono: the JSON API, HTTP sessions with SSE, the
 * WebSocket chat, announcements with the admin token, metrics, OpenAPI and
 * the chat page.
 *
 * @module
 */

export { createHttpApp, listenHttp } from "./app.ts";
export type { HttpListener, HttpOptions } from "./listen.ts";
export { HttpHub } from "./hub.ts";
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from "./limits.ts";
export { defaultAdminTokenPath, loadAdminToken } from "./admin_token.ts";
export type {
  AdminToken,
  AdminTokenOptions,
  AdminTokenSource,
} from "./admin_token.ts";
export { parseHost, parseOrigin } from "./origin.ts";
