/**
 * What every conformance client does, whatever the transport: send
 * commands or raw bytes, take the server's events one by one, see the end of
 * the session. The stream client (stream_client.ts) and the UDP client
 * (udp_client.ts) implement it; so do the tests' clients of other
 * transports (WebSocket).
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ChatEvent } from "../../core/events.ts";

/** How long any single wait of a case may take, in ms. */
export const WAIT_MS = 5000;

/** One connection (or datagram session) to a server under test. */
export interface ConformanceClient {
  /** Send one command, encoded as a binary frame. */
  send(command: Command): void;
  /**
   * Send bytes as one unit (one write; over UDP, one datagram's frames after
   * its ENVELOPE).
   */
  sendRaw(bytes: Uint8Array): void;
  /**
   * The next event from the server. Rejects when the server closes the
   * connection first, or when nothing arrives within `timeoutMs`.
   */
  next(timeoutMs?: number): Promise<ChatEvent>;
  /**
   * Resolves once the server has closed the connection (over UDP: ended the
   * session). Rejects if an event arrives first that the case did not take
   * with `next`, or after `timeoutMs`.
   */
  ended(timeoutMs?: number): Promise<void>;
  /** Stop reading from the connection (to make a slow consumer). */
  pause(): void;
  /** Read again after `pause`. */
  resume(): void;
  /** Close the connection from the client's side and release everything. */
  close(): Promise<void>;
}
