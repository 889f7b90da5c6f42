/**
 * The HTTP transport on Hono: the JSON API, HTTP sessions with SSE, the
 * WebSocket chat, announcements with the admin token, metrics, OpenAPI and
 * the chat page. {@link listenHttp} serves it for a chat, next to the other
 * transports (what `serve({ transports: ["http"] })` does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Chat } from "../../core/mod.ts";
 * import { listenHttp } from "./mod.ts";
 *
 * const chat = new Chat({ now: () => performance.now() });
 * const http = await listenHttp(chat, { port: 0, adminToken: "an-example-admin-token" });
 * const res = await fetch(new URL("/healthz", http.url));
 * assert.equal(res.status, 200);
 * await res.body?.cancel();
 * await chat.shutdown();
 * await http.close();
 * ```
 *
 * @module
 */

export { listenHttp } from "./app.ts";
export type { HttpListener, HttpOptions } from "./listen.ts";
export type { IsolateLink } from "./isolate_link.ts";
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from "./limits.ts";
export {
  ConnectionGate,
  type ConnectionGateOptions,
  type GatedTransport,
} from "../connection_gate.ts";
export { defaultAdminTokenPath, loadAdminToken } from "./admin_token.ts";
export type {
  AdminToken,
  AdminTokenOptions,
  AdminTokenSource,
} from "./admin_token.ts";
export { parseHost, parseOrigin } from "./origin.ts";
