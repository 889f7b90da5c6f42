/**
 * One stream connection: the {@link Peer} the core writes to. Reads go to
 * `session.feed`; events are queued in a bounded {@link Outbox} and written
 * in the next flush round, one write in flight per connection.
 *
 * @module
 */

import type { Chat } from "../../core/chat.ts";
import { Outbox } from "../../core/outbox.ts";
import type { Outgoing, Peer } from "../../core/peer.ts";
import type { Session } from "../../core/session.ts";
import { streamRounds, syscallRounds } from "../flush_rounds.ts";
import {
  giveReadBuffer,
  MAX_READ,
  MIN_READ,
  takeReadBuffer,
} from "../read_buffers.ts";
import { BROKEN, type SocketWrites, WOULD_BLOCK } from "./socket_writes.ts";

/** Longest time a closed connection reads and drops what its peer still sends. */
export const DRAIN_MS = 2000;

/** What a connection needs from its listener's pool (`Pool` is one). */
export interface ConnectionPool {
  /** Open connections; a connection adds itself first thing. */
  readonly open: Set<StreamConnection>;
  /** The chat it connects to. */
  readonly chat: Chat;
  /** Its transport, for the session. */
  readonly transport: "tcp" | "unix";
  /** Time to finish writing queued bytes when closing, in ms. */
  readonly lingerMs: number;
  /** Quiet time before a silent connection is asked for a name; 0 never. */
  readonly promptMs: number;
  /** Writes through libc, where the process may use them. */
  readonly socketWrites: SocketWrites | undefined;
  /** A connection's descriptor was not found: it writes through Deno. */
  unfound(): void;
  /** Called once the connection is closed and reads no more. */
  finished(c: StreamConnection): void;
}

/** One connection: the {@link Peer} the core writes to. */
export class StreamConnection implements Peer {
  readonly #conn: Deno.Conn;
  readonly #pool: ConnectionPool;
  readonly #outbox: Outbox;
  readonly #session: Session;
  #buf = takeReadBuffer();
  #prompt: ReturnType<typeof setTimeout> | undefined;
  #reading = true;
  /** The peer ended its side (or broke): there is nothing to drain. */
  #eof = false;
  /** Closed for writing, dropping what the peer still sends (see #shut). */
  #draining = false;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #scheduled = false;
  #writing = false;
  #closing = false;
  #closed = false;
  #linger: ReturnType<typeof setTimeout> | undefined;
  /** The socket's descriptor, for writes through libc; -1 for Deno's. */
  #fd = -1;

  /**
   * Attach a connection to the chat and start reading.
   *
   * @param conn The accepted connection.
   * @param pool Its listener's pool, which it joins first thing.
   * @param remote The peer's address for logs (`HOST:PORT`, or `unix`).
   */
  constructor(conn: Deno.Conn, pool: ConnectionPool, remote: string) {
    this.#conn = conn;
    this.#pool = pool;
    if (pool.socketWrites) {
      this.#fd = pool.socketWrites.find(conn as Deno.TcpConn);
      if (this.#fd < 0) pool.unfound();
    }
    pool.open.add(this); // before chat.connect, which may close it at once
    this.#outbox = new Outbox(pool.chat.limits.outboundBytes);
    const session = pool.chat.connect(this, {
      transport: pool.transport,
      remote,
      hello: true,
    });
    this.#session = session;
    // Nothing yet after a moment: a person (nc, telnet) waiting to be asked.
    if (pool.promptMs > 0 && session.state !== "closed") {
      this.#prompt = setTimeout(() => {
        this.#prompt = undefined;
        session.startText();
      }, pool.promptMs);
    }
    this.#readNext();
  }

  #readNext(): void {
    if (this.#draining) {
      this.#conn.read(this.#buf).then(this.#onRead, this.#onRead);
      return;
    }
    if (this.#closed || this.#session.state === "closed") {
      this.#stopReading();
      return;
    }
    this.#conn.read(this.#buf).then(this.#onRead, this.#onRead);
  }

  // One plain callback made once per connection for both outcomes (a
  // failed read passes its error), not an async read loop: an idle member
  // then holds only its pending read.
  #onRead = (n: number | null | Error): void => {
    if (this.#draining) return this.#drained(n);
    if (typeof n !== "number") {
      this.#eof = true;
      this.#stopReading(); // end of stream, or the connection broke
      return;
    }
    if (this.#prompt !== undefined) {
      clearTimeout(this.#prompt);
      this.#prompt = undefined; // a cleared timer still holds its callback
    }
    const buf = this.#buf;
    this.#session.feed(buf.subarray(0, n)); // the session keeps no view
    if (n === buf.length && buf.length < MAX_READ) {
      this.#buf = new Uint8Array(buf.length * 2);
      giveReadBuffer(buf);
    } else if (n < MIN_READ && buf.length > MIN_READ) {
      this.#buf = takeReadBuffer();
    }
    this.#readNext();
  };

  /** The peer is gone or the session ended: write what is queued, close. */
  #stopReading(): void {
    this.#reading = false;
    giveReadBuffer(this.#buf); // no read is pending on it any more
    clearTimeout(this.#prompt);
    this.#prompt = undefined;
    this.#session.close();
    // Write what is still queued (a goodbye, an error), then close; a
    // member that left is told once its name is free on every node.
    const released = this.#session.released();
    if (released) released.then(() => this.#closeAfterRead());
    else this.#closeAfterRead();
  }

  #closeAfterRead(): void {
    this.close(true);
    if (this.#closed && !this.#draining) this.#pool.finished(this);
  }

  // While draining: drop what the peer sends until it ends, or the time is
  // up (the timer closes the socket, which ends the pending read). A
  // method, not a callback made per connection: #onRead passes it on.
  #drained(n: number | null | Error): void {
    if (typeof n === "number" && this.#draining) {
      this.#readNext();
      return;
    }
    this.#draining = false;
    clearTimeout(this.#drainTimer);
    this.#reading = false;
    giveReadBuffer(this.#buf);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#pool.finished(this);
  }

  /** Queue an event for the next flush round ({@link Peer.send}). */
  send(out: Outgoing): boolean {
    if (this.#closing || this.#closed) return true;
    // The session is unset only while it is being made (a refusal sent
    // from connect, such as the connection limit).
    const session = this.#session as Session | undefined;
    if (!this.#outbox.push(session ? session.encode(out) : out.binary())) {
      return false;
    }
    if (!this.#scheduled && !this.#writing) {
      this.#scheduled = true;
      (this.#fd >= 0 ? syscallRounds : streamRounds).schedule(this);
    }
    return true;
  }

  /** Close, after writing what is queued if `flush` ({@link Peer.close}). */
  close(flush: boolean): void {
    if (this.#closed) {
      // Cut a drain short (the listener is closing).
      if (!flush && this.#draining) this.#closeQuietly();
      return;
    }
    if (!flush) {
      this.#outbox.clear();
      this.#shut(false);
      return;
    }
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#writing && this.#outbox.queued === 0 && !this.#scheduled) {
      this.#shut(true);
      return;
    }
    this.#linger = setTimeout(() => this.#shut(false), this.#pool.lingerMs);
  }

  /** Give back the outbox's spare slots if nothing is queued. */
  trim(): void {
    this.#outbox.trim();
  }

  /** Write everything queued, in one write (called by the flush round). */
  flush(): void {
    this.#scheduled = false;
    if (this.#writing || this.#closed) return;
    const bytes = this.#outbox.take();
    if (bytes === undefined) {
      if (this.#closing) this.#shut(true);
      return;
    }
    this.#writing = true;
    this.#pending = bytes;
    this.#written = 0;
    if (this.#fd >= 0) {
      // One system call; a full socket buffer goes the async way, which
      // waits for room.
      const n = this.#pool.socketWrites!.write(this.#fd, bytes);
      if (n !== WOULD_BLOCK) {
        return this.#wrote(n === BROKEN ? new Error("send failed") : n);
      }
    }
    this.#conn.write(bytes).then(this.#wrote, this.#wrote);
  }

  // The write in flight, and how much of it is written. One plain callback
  // made once per connection for both outcomes (a failed write passes its
  // error), not an async function per write: this runs once per member per
  // event-loop turn under load.
  #pending: Uint8Array | undefined;
  #written = 0;

  #wrote = (n: number | Error): void => {
    const bytes = this.#pending!;
    if (typeof n !== "number") {
      this.#pending = undefined;
      this.#writing = false;
      this.#outbox.clear();
      this.#shut(false);
      return;
    }
    this.#written += n;
    if (this.#written < bytes.length) {
      // A partial write: go on with the rest.
      this.#conn.write(bytes.subarray(this.#written))
        .then(this.#wrote, this.#wrote);
      return;
    }
    this.#pending = undefined;
    this.#writing = false;
    this.#outbox.written();
    this.flush();
  };

  /**
   * Close. After a graceful close (all written) to a peer that may still be
   * sending, the socket is first closed for writing only and what comes is
   * read and dropped for up to {@link DRAIN_MS}: closing a socket with
   * unread input resets the connection, and the peer would lose the last
   * frames written (a fatal error, a goodbye) before reading them.
   */
  #shut(graceful: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = false;
    if (this.#fd >= 0) {
      // Forgotten before the socket closes: its number is soon another's.
      this.#pool.socketWrites!.release(this.#fd);
      this.#fd = -1;
    }
    clearTimeout(this.#linger);
    clearTimeout(this.#prompt);
    this.#outbox.clear();
    if (graceful && !this.#eof) {
      this.#draining = true;
      this.#drainTimer = setTimeout(() => this.#closeQuietly(), DRAIN_MS);
      this.#conn.closeWrite().catch(() => this.#closeQuietly());
      if (!this.#reading) {
        this.#reading = true;
        this.#buf = takeReadBuffer();
        this.#readNext();
      }
      return;
    }
    this.#closeQuietly(); // a pending read ends, and with it the connection
    if (!this.#reading) this.#pool.finished(this);
  }

  #closeQuietly(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
