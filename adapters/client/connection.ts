/**
 * What every client transport gives its user: a {@link ClientConnection}
 * that sends commands and hands over events, and the {@link ConnectError}
 * raised when a server cannot be reached.
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ReceivedEvent } from "../../core/events.ts";

/** A client's connection to a server, whatever the transport. */
export interface ClientConnection {
  /** Send a command. */
  send(command: Command): void;
  /**
   * Receives each event from the server, in order: a newer server's error
   * codes and leave reasons arrive as `UNKNOWN` / `unknown` with their
   * numbers, and its frame types this client does not know are skipped.
   */
  onEvent(event: ReceivedEvent): void;
  /**
   * Told how many events from the server were lost, where the transport can
   * lose them and tell (UDP).
   */
  onLost?: ((count: number) => void) | undefined;
  /**
   * Told of each event skipped because this client does not know its type
   * (a newer server's): it still counts as an event, for a resume.
   */
  onSkipped?: (() => void) | undefined;
  /** Settles when the connection has closed, from either side. */
  readonly closed: Promise<void>;
  /** Close the connection (after writing what was sent). */
  close(): void;
}

/** The server could not be reached. */
export class ConnectError extends Error {
  /**
   * Create a new instance.
   * @param message `Cannot connect to URL: detail`.
   * @param options Standard error options (cause).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}
