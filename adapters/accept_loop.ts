/**
 * Accepting connections on a listener without ever giving up: a connection
 * reset while it waited only loses that connection, and running out of file
 * descriptors or memory (`EMFILE`, `ENFILE`, `ENOMEM`) is logged as
 * `accept_error` and tried again after a wait that doubles up to a second.
 * Shared by the stream listener and the HTTP front.
 *
 * @module
 */

import type { LogRecord } from "../core/chat.ts";
import { messageOf } from "./errors.ts";

/** First wait before accepting again after a failed accept (EMFILE...). */
const ACCEPT_RETRY_MS = 50;
/** Longest wait between accept retries. */
const ACCEPT_RETRY_MAX_MS = 1000;

/** A running accept loop. */
export interface AcceptLoop {
  /** Settles once the loop has ended (its listener closed). */
  readonly done: Promise<void>;
  /** Stop: close the listener, cut a wait short, end the loop. */
  stop(): Promise<void>;
}

/**
 * Accept connections until stopped, handing each to `onConn`.
 *
 * @param listener The listener (the loop closes it on stop).
 * @param options What to do with a connection, and where to log errors.
 * @returns The running loop.
 * @example
 * ```ts ignore
 * const loop = acceptLoop(Deno.listen({ port: 0 }), {
 *   transport: "tcp",
 *   onConn: (conn) => conn.close(),
 * });
 * await loop.stop();
 * ```
 */
export function acceptLoop<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  options: {
    transport: string;
    onConn: (conn: C) => void;
    log?: ((record: LogRecord) => void) | undefined;
  },
): AcceptLoop {
  let stopped = false;
  let retry:
    | { timer: ReturnType<typeof setTimeout>; resolve: () => void }
    | undefined;

  const done = (async () => {
    let delay = ACCEPT_RETRY_MS;
    for (;;) {
      let conn: C;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (stopped) return; // listener closed
        // A connection reset while it waited to be accepted: only that
        // connection failed, so accept the next one at once (a client that
        // resets connections on purpose must not slow accepting down).
        if (
          e instanceof Deno.errors.NotConnected ||
          e instanceof Deno.errors.ConnectionReset ||
          e instanceof Deno.errors.ConnectionAborted
        ) continue;
        if (e instanceof Deno.errors.BadResource) return; // closed under us
        // Out of file descriptors or memory: keep serving, and try again a
        // little later.
        options.log?.({
          event: "accept_error",
          transport: options.transport,
          error: messageOf(e),
          retryMs: delay,
        });
        await new Promise<void>((resolve) => {
          retry = { timer: setTimeout(resolve, delay), resolve };
        });
        retry = undefined;
        if (stopped) return;
        delay = Math.min(delay * 2, ACCEPT_RETRY_MAX_MS);
        continue;
      }
      delay = ACCEPT_RETRY_MS;
      options.onConn(conn);
    }
  })();

  return {
    done,
    stop() {
      if (!stopped) {
        stopped = true;
        try {
          listener.close();
        } catch {
          // already closed
        }
        if (retry) {
          clearTimeout(retry.timer);
          retry.resolve();
        }
      }
      return done;
    },
  };
}
