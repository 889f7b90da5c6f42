/**
 * The routes for operators and tools: `GET /healthz` (liveness),
 * `GET /metrics` (Prometheus) and `GET /api/openapi.json` (the document
 * generated from every route registered on the app).
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "npm:@hono/zod-openapi@1.6";
import type { HttpHub } from "./hub.ts";
import {
  METRICS_CONTENT_TYPE,
  type MetricsSnapshot,
  metricsSnapshot,
  renderSnapshot,
  sumSnapshots,
} from "./metrics.ts";
import { ROUTES } from "./routes.ts";

/**
 * Register health, metrics and the OpenAPI document on an app.
 *
 * @param app The app (adapters/http/app.ts).
 * @param hub The hub (chat, sessions and streams for metrics).
 * @example
 * ```ts ignore
 * registerOpsRoutes(app, hub);
 * ```
 */
export function registerOpsRoutes(app: OpenAPIHono, hub: HttpHub): void {
  const chat = hub.chat;
  app.openapi(
    createRoute(ROUTES.health),
    (c) =>
      chat.closing
        ? c.json({ status: "shutting_down" as const }, 503)
        : c.json({ status: "ok" as const }, 200),
  );

  const snapshot = () =>
    metricsSnapshot(chat, {
      sessions: hub.sessions,
      sse: hub.streams.sse,
      ws: hub.streams.ws,
    });
  // With several isolates, the isolate asked sums every isolate's figures.
  hub.isolates?.handle("metrics", snapshot);
  app.openapi(createRoute(ROUTES.metrics), async (c) => {
    let text: string;
    if (hub.isolates === undefined) text = renderSnapshot(snapshot());
    else {
      const others = await hub.isolates.gather("metrics", null, 500);
      const all = [snapshot(), ...others.values() as Iterable<MetricsSnapshot>];
      text = renderSnapshot(sumSnapshots(all), all.length);
    }
    return c.text(text, 200, { "content-type": METRICS_CONTENT_TYPE });
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The admin token, or a session token.",
  });
  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "roomcast",
      version: "0.1.0",
      description:
        "Chat rooms that any program can join. Errors are application/problem+json (RFC 9457) with a stable `code`. See docs/http.md.",
    },
  });
}
