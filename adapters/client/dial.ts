/**
 * Dial a server by URL: `tcp://HOST:PORT` and `unix:///PATH` (binary frames
 * over a stream), `udp://HOST:PORT` (datagrams) and `ws://` (the HTTP
 * transport's WebSocket), each scheme with its dialer.
 *
 * @module
 */

import { type ClientConnection, ConnectError } from "./connection.ts";
import { dialStream } from "./stream.ts";
import { dialUdp } from "./udp.ts";
import { dialWebSocket } from "./ws.ts";

/** Opens a connection for one URL scheme. */
export type Dialer = (url: URL) => Promise<ClientConnection>;

const dialers = new Map<string, Dialer>([
  ["tcp:", dialStream],
  ["unix:", dialStream],
  ["ws:", dialWebSocket],
  ["wss:", dialWebSocket],
  ["udp:", (url) => dialUdp(url)],
]);

/**
 * Register the dialer of a URL scheme (such as `"udp:"`).
 *
 * @param scheme The scheme with its colon.
 * @param dialer Opens a connection.
 */
export function registerDialer(scheme: string, dialer: Dialer): void {
  dialers.set(scheme, dialer);
}

/**
 * Parse a server URL, accepting `HOST:PORT` as `tcp://HOST:PORT` and a path
 * as `unix://PATH`.
 *
 * @param raw What the user gave.
 * @returns The URL.
 * @throws {TypeError} When it is not a URL of a known scheme.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseServerUrl("127.0.0.1:7878").href, "tcp://127.0.0.1:7878");
 * assert.equal(parseServerUrl("/tmp/x.sock").href, "unix:///tmp/x.sock");
 * ```
 */
export function parseServerUrl(raw: string): URL {
  let text = raw;
  if (raw.startsWith("/")) text = `unix://${raw}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) text = `tcp://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Cannot use server "${raw}": not a URL`);
  }
  if (!dialers.has(url.protocol)) {
    throw new TypeError(
      `Cannot use server "${raw}": scheme ${url.protocol} is not one of ${
        [...dialers.keys()].join(" ")
      }`,
    );
  }
  return url;
}

/**
 * Connect to a server.
 *
 * @param url From {@link parseServerUrl}.
 * @returns The open connection.
 * @throws {ConnectError} When the server cannot be reached.
 */
export function dial(url: URL): Promise<ClientConnection> {
  const dialer = dialers.get(url.protocol);
  if (dialer === undefined) {
    return Promise.reject(
      new ConnectError(`Cannot connect to ${url.href}: unknown scheme`),
    );
  }
  return dialer(url);
}
