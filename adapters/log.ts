/**
 * The log line every adapter writes: `TIME EVENT key=value ...`, one per
 * lifecycle event, for operators and their tools; or one JSON object a line
 * (`serve --log json`) for machines.
 *
 * @module
 */

import type { LogRecord } from "../core/chat.ts";

/**
 * Format a log record as one line: time, event, then `key=value` fields.
 *
 * @param record The record.
 * @param time When it happened.
 * @returns The line, without a line break.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = formatLog({ event: "join", room: "lobby", name: "bob smith" }, new Date(0));
 * assert.equal(line, '1970-01-01T00:00:00.000Z join room=lobby name="bob smith"');
 * ```
 */
export function formatLog(record: LogRecord, time: Date = new Date()): string {
  let line = `${time.toISOString()} ${record.event}`;
  for (const [key, value] of Object.entries(record)) {
    if (key === "event" || value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    line += ` ${key}=${
      /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text)
    }`;
  }
  return line;
}

/**
 * Format a log record as one JSON object on one line: `time`, `event`, then
 * the record's fields.
 *
 * @param record The record.
 * @param time When it happened.
 * @returns The JSON text, without a line break.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = formatLogJson({ event: "listen", transport: "tcp", url: "tcp://127.0.0.1:7878" }, new Date(0));
 * assert.equal(line, '{"time":"1970-01-01T00:00:00.000Z","event":"listen","transport":"tcp","url":"tcp://127.0.0.1:7878"}');
 * ```
 */
export function formatLogJson(
  record: LogRecord,
  time: Date = new Date(),
): string {
  return JSON.stringify({ time: time.toISOString(), ...record });
}
