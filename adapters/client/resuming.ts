/**
 * A client connection that comes back by itself: it speaks protocol
 * version 2 (version 1 to a server that does not know 2), keeps the resume
 * token of its WELCOME and counts the events after it, and when the
 * connection drops (not when the server removes the member) it dials again
 * with backoff and sends RESUME, so that the member keeps its name and room
 * and gets what it missed. If the server no longer has the session, it
 * joins the same room with the same name again. docs/protocol.md,
 * "History and resume", is the protocol.
 *
 * @module
 */

import {
  type Command,
  LATEST_VERSION,
  PROTOCOL_VERSION,
} from "../../core/codec/mod.ts";
import type { ReceivedEvent, WelcomeEvent } from "../../core/events.ts";
import type { ClientConnection } from "./connection.ts";
import { dial } from "./dial.ts";

/** Options of {@link dialResuming}. */
export interface ResumingOptions {
  /** Software name and version for HELLO. */
  software: string;
  /** Told when the connection dropped and a new one is being made. */
  onReconnecting?: (attempt: number) => void;
  /** First wait before dialling again, in ms. @default {250} */
  minDelayMs?: number;
  /** Longest wait between tries, in ms. @default {4000} */
  maxDelayMs?: number;
  /**
   * How long to keep dialling while the server cannot be reached, in ms
   * (never longer than the server's grace period). @default {4000}
   */
  giveUpMs?: number;
}

/** Commands kept while (re)connecting, sent once the server can take them. */
const MAX_QUEUED = 64;

/**
 * Dial a server and keep the member there across dropped connections. The
 * caller sends JOIN and everything else as on any connection, but not
 * HELLO: this connection says it (and drops the caller's).
 *
 * @param url The server.
 * @param options HELLO software, backoff, and the reconnect notice.
 * @returns The connection, once the first one is open.
 * @throws {ConnectError} When the server cannot be reached at first.
 * @example
 * ```ts ignore
 * const conn = await dialResuming(new URL("tcp://127.0.0.1:7878"), {
 *   software: "my-bot/1",
 *   onReconnecting: () => console.log("reconnecting…"),
 * });
 * conn.onEvent = (e) => console.log(e);
 * conn.send({ type: "join", room: "lobby", name: "bot" });
 * ```
 */
export async function dialResuming(
  url: URL,
  options: ResumingOptions,
): Promise<ClientConnection> {
  const conn = new ResumingConnection(url, options);
  conn.attach(await dial(url));
  return conn;
}

class ResumingConnection implements ClientConnection {
  onEvent: (event: ReceivedEvent) => void = () => {};
  onLost: ((count: number) => void) | undefined;
  readonly closed: Promise<void>;
  readonly #url: URL;
  readonly #options: ResumingOptions;
  readonly #done = Promise.withResolvers<void>();
  #conn: ClientConnection | undefined;
  #version: number = LATEST_VERSION;
  /** HELLO_OK came on this connection. */
  #ready = false;
  /**
   * Commands sent on this connection before its HELLO_OK: sent again after
   * a HELLO in version 1, should the server not speak version 2.
   */
  #preamble: Command[] = [];
  /** A dropped member is coming back: commands wait for its WELCOME. */
  #resuming = false;
  /** The room and name of the last WELCOME. */
  #place: { room: string; name: string } | undefined;
  #token: string | undefined;
  #graceMs = 0;
  /** The number of the last event received, once resumable. */
  #seen = 0;
  #counting = false;
  #queue: Command[] = [];
  /** The server ended the session on purpose: do not come back. */
  #over = false;
  /** Dial again at once (the server does not speak version 2). */
  #downgrade = false;
  #closing = false;
  /** The backoff wait in progress, cut short by close. */
  #wait: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;

  constructor(url: URL, options: ResumingOptions) {
    this.#url = url;
    this.#options = options;
    this.closed = this.#done.promise;
  }

  send(command: Command): void {
    if (command.type === "hello") return;
    const conn = this.#conn;
    if (conn !== undefined && !this.#resuming) {
      // Pipelined after HELLO, as any client may.
      if (!this.#ready) this.#preamble.push(command);
      conn.send(command);
    } else if (this.#queue.length < MAX_QUEUED) this.#queue.push(command);
  }

  close(): void {
    this.#closing = true;
    const wait = this.#wait;
    if (wait !== undefined) {
      clearTimeout(wait.timer);
      wait.wake();
    }
    if (this.#conn === undefined) this.#done.resolve();
    else this.#conn.close();
  }

  /**
   * Use a new connection: HELLO, then RESUME (or JOIN) when coming back, or
   * what was sent before a HELLO of version 2 was refused.
   */
  attach(conn: ClientConnection, again: readonly Command[] = []): void {
    this.#conn = conn;
    this.#ready = false;
    this.#counting = false;
    conn.onEvent = (event) => this.#event(conn, event);
    conn.onSkipped = () => {
      if (this.#counting) this.#seen++;
    };
    conn.onLost = (count) => {
      if (this.#counting) this.#seen += count;
      this.onLost?.(count);
    };
    conn.send({
      type: "hello",
      version: this.#version,
      software: this.#options.software,
    });
    if (this.#resuming) this.#comeBack(conn);
    for (const cmd of again) this.send(cmd);
    conn.closed.then(() => this.#dropped(conn));
  }

  #event(conn: ClientConnection, event: ReceivedEvent): void {
    if (this.#counting && event.type !== "welcome") this.#seen++;
    switch (event.type) {
      case "hello_ok":
        if (this.#ready) break;
        this.#ready = true;
        this.#preamble = [];
        if (this.#resuming) return;
        break;
      case "welcome":
        this.#welcome(event);
        this.#resuming = false;
        this.#flush(conn);
        break;
      case "error":
        if (
          !this.#ready && event.code === "UNSUPPORTED_VERSION" &&
          this.#version > PROTOCOL_VERSION
        ) {
          // A server older than version 2: speak 1, without resume.
          this.#version = PROTOCOL_VERSION;
          this.#downgrade = true;
          return;
        }
        if (this.#resuming && !event.fatal) {
          // RESUME_FAILED (the grace period is over), or UNKNOWN_TYPE (a
          // server without RESUME): join again, as new.
          this.#token = undefined;
          this.#counting = false;
          const place = this.#place;
          if (place !== undefined) {
            conn.send({ type: "join", room: place.room, name: place.name });
          }
          return;
        }
        if (event.fatal) this.#over = true;
        break;
      case "left":
        if (
          event.name === this.#place?.name && event.room === this.#place.room
        ) {
          this.#over = true;
        }
        break;
    }
    this.onEvent(event);
  }

  /** A WELCOME: where we are, and the count from here. */
  #welcome(event: WelcomeEvent): void {
    this.#place = { room: event.room, name: event.name };
    const resume = event.resume;
    this.#counting = resume !== undefined;
    if (resume === undefined) return;
    this.#token = resume.token;
    this.#graceMs = resume.graceMs;
    this.#seen = resume.seq;
    if (resume.lost > 0) this.onLost?.(resume.lost);
  }

  #comeBack(conn: ClientConnection): void {
    const place = this.#place;
    if (this.#token !== undefined) {
      conn.send({ type: "resume", token: this.#token, seen: this.#seen });
    } else if (place !== undefined) {
      conn.send({ type: "join", room: place.room, name: place.name });
    }
  }

  #flush(conn: ClientConnection): void {
    for (const cmd of this.#queue.splice(0)) conn.send(cmd);
  }

  async #dropped(conn: ClientConnection): Promise<void> {
    if (conn !== this.#conn) return;
    this.#conn = undefined;
    this.#ready = false;
    if (this.#closing) return this.#done.resolve();
    if (this.#downgrade) {
      this.#downgrade = false;
      const again = this.#preamble;
      this.#preamble = [];
      const next = await dial(this.#url).catch(() => undefined);
      if (next !== undefined) return this.attach(next, again);
    }
    if (this.#over || this.#place === undefined) return this.#done.resolve();
    this.#resuming = true;
    const min = this.#options.minDelayMs ?? 250;
    const max = this.#options.maxDelayMs ?? 4000;
    const until = Date.now() +
      Math.min(this.#options.giveUpMs ?? 4000, this.#graceMs || Infinity);
    for (let attempt = 1;; attempt++) {
      const left = until - Date.now();
      if (left <= 0 || this.#closing) break;
      this.#options.onReconnecting?.(attempt);
      await this.#sleep(Math.min(left, max, min * 2 ** (attempt - 1)));
      if (this.#closing) break;
      const next = await dial(this.#url).catch(() => undefined);
      if (next === undefined) continue;
      if (this.#closing) {
        next.close();
        break;
      }
      return this.attach(next);
    }
    this.#done.resolve();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      const timer = setTimeout(() => {
        this.#wait = undefined;
        wake();
      }, ms);
      this.#wait = { timer, wake };
    });
  }
}
