/**
 * `GET /metrics`: the chat's counters in the Prometheus text exposition
 * format (version 0.0.4).
 *
 * @module
 */

import type { Chat } from "../../core/chat.ts";

/** HTTP-adapter gauges added to the chat's own. */
export interface HttpGauges {
  /** Open HTTP sessions (with or without a stream). */
  readonly sessions: number;
  /** Open Server-Sent Events streams. */
  readonly sse: number;
  /** Open WebSockets. */
  readonly ws: number;
}

/** The content type of the exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Render the metrics.
 *
 * @param chat The chat.
 * @param http The HTTP adapter's gauges.
 * @returns The exposition text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Chat } from "../../core/chat.ts";
 * const text = renderMetrics(new Chat({ now: () => 0 }), {
 *   sessions: 0, sse: 0, ws: 0,
 * });
 * assert.match(text, /^roomcast_rooms 0$/m);
 * ```
 */
export function renderMetrics(chat: Chat, http: HttpGauges): string {
  const s = chat.stats;
  const { rooms, members } = chat.census();
  const lines: string[] = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: [labels: string, value: number][],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      lines.push(`${name}${labels} ${value}`);
    }
  };
  const byTransport = [...s.connections.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, n]): [string, number] => [`{transport="${escape(t)}"}`, n]);
  metric(
    "roomcast_connections",
    "gauge",
    "Open connections (and HTTP sessions) by transport.",
    byTransport,
  );
  metric("roomcast_rooms", "gauge", "Rooms with members on this node.", [
    ["", rooms],
  ]);
  metric("roomcast_members", "gauge", "Members in rooms on this node.", [
    ["", members],
  ]);
  metric(
    "roomcast_messages_in_total",
    "counter",
    "Messages accepted from members.",
    [["", s.messagesIn]],
  );
  metric(
    "roomcast_messages_out_total",
    "counter",
    "Message events queued to members (one per recipient).",
    [["", s.messagesOut]],
  );
  metric(
    "roomcast_deliveries_total",
    "counter",
    "Events of every kind queued to members.",
    [["", s.deliveries]],
  );
  metric(
    "roomcast_dropped_total",
    "counter",
    "Fan-out events not queued because a member's buffer was full.",
    [["", s.dropped]],
  );
  metric(
    "roomcast_slow_consumers_total",
    "counter",
    "Members cut off because they did not read fast enough.",
    [["", s.slowConsumers]],
  );
  metric(
    "roomcast_refused_total",
    "counter",
    "Commands refused with an error (names, rate, size, ...).",
    [["", s.refused]],
  );
  metric(
    "roomcast_announcements_total",
    "counter",
    "Announcements made on this node.",
    [["", s.announcements]],
  );
  metric("roomcast_http_sessions", "gauge", "Open HTTP sessions.", [
    ["", http.sessions],
  ]);
  metric("roomcast_http_streams", "gauge", "Open HTTP event streams.", [
    ['{kind="sse"}', http.sse],
    ['{kind="ws"}', http.ws],
  ]);
  metric(
    "roomcast_detached_members",
    "gauge",
    "Members whose connection went away, kept for a resume (grace period).",
    [["", chat.detached]],
  );
  return lines.join("\n") + "\n";
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}
