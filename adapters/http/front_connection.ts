/**
 * One HTTP connection through the front (adapters/http/front.ts): the
 * client's socket piped both ways to a loopback connection to the HTTP
 * server behind, with what the front needs to time it: when a request
 * began and is not answered yet, when anything last moved, and whether
 * the connection became a WebSocket or an event stream. It reads no HTTP
 * beyond the first bytes of each answer.
 *
 * @module
 */

import { giveReadBuffer, MIN_READ, takeReadBuffer } from "../read_buffers.ts";
import {
  MAX_UPGRADE_HEAD,
  readUpgradeHead,
  type UpgradeHead,
} from "./ws_handshake.ts";
import type { NativeWebSocket } from "./ws_native.ts";

/**
 * Largest read buffer of a front connection: a client that stops reading
 * pins one (with the write under way) per connection.
 */
export const FRONT_MAX_READ = 16 * 1024;

/**
 * Serves a WebSocket upgrade on the client's socket: the socket, or
 * undefined when the app refused it (its answer written).
 */
export type ServeUpgrade = (
  client: Deno.Conn,
  head: UpgradeHead,
  c: FrontConnection,
) => Promise<NativeWebSocket | undefined>;

/** What a front connection needs from its front. */
export interface FrontHost {
  /** The clock, in ms. */
  now(): number;
  /** Where the HTTP server behind listens now, if it does. */
  upstream(): Deno.ConnectOptions | undefined;
  /** A loopback connection from `port` carries the requests of `remote`. */
  register(port: number, remote: string, conn: FrontConnection): void;
  /** The connection from `port` is gone. */
  unregister(port: number): void;
  /** The connection is closed both ways: give back its descriptors. */
  finished(c: FrontConnection): void;
  /**
   * Serve a WebSocket upgrade on the client's socket itself
   * (adapters/http/ws_handshake.ts), when the front does: the socket, or
   * undefined when the app refused it (its answer written).
   */
  readonly upgrade?: ServeUpgrade | undefined;
  /**
   * The HTTP server behind cannot be reached: answer 503 and close.
   * `target` is where it was tried, if anywhere.
   */
  unavailable(conn: Deno.Conn, target?: Deno.ConnectOptions): void;
}

/** Longest time a client's input is read and dropped after the server's side ended. */
export const FRONT_DRAIN_MS = 2000;

/** How a front connection is timed now. */
export type FrontState = "request" | "idle" | "stream" | "upgraded";

const decoder = new TextDecoder("latin1");

/** One client connection and its loopback twin. */
export class FrontConnection {
  readonly #client: Deno.Conn;
  readonly #host: FrontHost;
  readonly remote: string;
  #upstream: Deno.Conn | undefined;
  #port = 0;
  /** Since when a request waits for its answer (chat clock); -1: none. */
  pendingSince: number;
  /** When a byte last moved either way. */
  lastActive: number;
  /** The last answer made this a WebSocket, or an event stream. */
  #kind: "plain" | "stream" | "upgraded" = "plain";
  #pumps = 0;
  #connecting = true;
  #closed = false;
  #finished = false;
  /** The server's side ended: what the client sends is dropped. */
  #draining = false;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** The WebSocket served on the client's socket itself, if it is one. */
  #native: NativeWebSocket | undefined;

  /**
   * Connect a client to the HTTP server behind and start piping.
   *
   * @param client The accepted connection.
   * @param host The front.
   * @param remote The client's `HOST:PORT`, for the server's logs.
   */
  constructor(client: Deno.Conn, host: FrontHost, remote: string) {
    this.#client = client;
    this.#host = host;
    this.remote = remote;
    this.pendingSince = this.lastActive = host.now();
    if (host.upgrade !== undefined) this.#first(new Uint8Array(1024), 0);
    else this.#connect(undefined);
  }

  /** The WebSocket served here, if this connection became one. */
  get native(): NativeWebSocket | undefined {
    return this.#native;
  }

  /**
   * Read the first bytes: a WebSocket upgrade is served here; anything
   * else goes to the server behind, those bytes first.
   */
  #first(buf: Uint8Array, have: number): void {
    this.#pumps = 1;
    const onRead = (n: number | null | Error): void => {
      this.#pumps = 0;
      if (typeof n !== "number" || this.#closed) {
        this.#connecting = false;
        this.close();
        return this.#done();
      }
      have += n;
      this.lastActive = this.#host.now();
      const head = readUpgradeHead(buf.subarray(0, have));
      if (head === "more") {
        if (have === buf.length) {
          const bigger = new Uint8Array(MAX_UPGRADE_HEAD);
          bigger.set(buf);
          buf = bigger;
        }
        return this.#first(buf, have);
      }
      if (head === undefined) return this.#connect(buf.slice(0, have));
      this.#upgrade(head);
    };
    this.#client.read(buf.subarray(have)).then(onRead, onRead);
  }

  #upgrade(head: UpgradeHead): void {
    this.#kind = "upgraded";
    this.#pumps = 1;
    (this.#client as Deno.TcpConn).setNoDelay(true);
    this.#host.upgrade!(this.#client, head, this).then((socket) => {
      this.#connecting = false;
      if (socket === undefined || this.#closed) {
        // Refused (the answer is written), or closed meanwhile.
        socket?.abort();
        this.#pumps = 0;
        if (this.#closed) return this.#done();
        return this.#refused();
      }
      this.#native = socket;
    }, () => {
      this.#connecting = false;
      this.#pumps = 0;
      this.close();
      this.#done();
    });
  }

  /**
   * After a refusal written here: close for writing and drop what the
   * client still sends for up to {@link FRONT_DRAIN_MS} (closing with unread
   * input would reset the connection and lose the answer).
   */
  #refused(): void {
    this.#draining = true;
    this.#pumps = 1;
    this.#client.closeWrite().catch(() => this.close());
    this.#drainTimer = setTimeout(() => this.close(), FRONT_DRAIN_MS);
    const buf = takeReadBuffer();
    const onRead = (n: number | null | Error): void => {
      if (typeof n === "number" && !this.#closed) {
        this.#client.read(buf).then(onRead, onRead);
        return;
      }
      giveReadBuffer(buf);
      this.#pumps = 0;
      this.close();
      this.#done();
    };
    this.#client.read(buf).then(onRead, onRead);
  }

  /** The WebSocket served here has closed its socket. */
  nativeEnded(): void {
    this.#closed = true;
    this.#pumps = 0;
    this.#done();
  }

  /** Connect to the server behind; `first` are bytes already read. */
  #connect(first: Uint8Array | undefined): void {
    const host = this.#host;
    const client = this.#client;
    const target = host.upstream();
    const failed = () => {
      this.#connecting = false;
      if (!this.#closed) host.unavailable(client, target);
      this.#closed = true;
      this.#done();
    };
    if (target === undefined) {
      queueMicrotask(failed);
      return;
    }
    Deno.connect(target).then((up) => this.#connected(up, first), failed);
  }

  /** How the sweeper times it now. */
  get state(): FrontState {
    if (this.#kind === "upgraded") return "upgraded";
    if (this.pendingSince >= 0) return "request";
    return this.#kind === "stream" ? "stream" : "idle";
  }

  #connected(up: Deno.Conn, first: Uint8Array | undefined): void {
    this.#connecting = false;
    if (this.#closed) {
      up.close();
      this.#done();
      return;
    }
    this.#upstream = up;
    this.#port = (up.localAddr as Deno.NetAddr).port;
    this.#host.register(this.#port, this.remote, this);
    (up as Deno.TcpConn).setNoDelay(true);
    (this.#client as Deno.TcpConn).setNoDelay(true);
    this.#pumps = 2;
    this.#pump(up, this.#client, false);
    if (first === undefined) return this.#pump(this.#client, up, true);
    this.#moved(first, true);
    writeAll(up, first).then(
      () => this.#pump(this.#client, up, true),
      () => this.#ended(true, "unwritable"),
    );
  }

  /**
   * Copy bytes from one socket to the other, one read in flight, the next
   * read after the write: the slower side holds back the faster.
   */
  #pump(from: Deno.Conn, to: Deno.Conn, fromClient: boolean): void {
    let buf = takeReadBuffer();
    const read = (): void => {
      from.read(buf).then(onRead, onRead);
    };
    const onRead = (n: number | null | Error): void => {
      if (typeof n !== "number" || this.#closed) {
        giveReadBuffer(buf);
        return this.#ended(fromClient, n === null ? "end" : "broken");
      }
      if (fromClient && this.#draining) return read(); // dropped: draining
      const chunk = buf.subarray(0, n);
      this.#moved(chunk, fromClient);
      write(chunk, n);
    };
    const write = (chunk: Uint8Array, n: number): void => {
      to.write(chunk).then((w) => {
        if (w < chunk.length) return write(chunk.subarray(w), n);
        if (n === buf.length && buf.length < FRONT_MAX_READ) {
          giveReadBuffer(buf);
          buf = new Uint8Array(buf.length * 2);
        } else if (n < MIN_READ && buf.length > MIN_READ) {
          buf = takeReadBuffer();
        }
        read();
      }, () => {
        if (fromClient && this.#draining && !this.#closed) return read();
        giveReadBuffer(buf);
        this.#ended(fromClient, "unwritable");
      });
    };
    read();
  }

  /** Bytes moved: note the time, and what an answer starts with. */
  #moved(chunk: Uint8Array, fromClient: boolean): void {
    const now = this.#host.now();
    this.lastActive = now;
    if (fromClient) {
      if (this.pendingSince < 0 && this.#kind !== "upgraded") {
        this.pendingSince = now;
      }
      return;
    }
    if (this.pendingSince < 0) return; // more of an answer already begun
    this.pendingSince = -1;
    // The first bytes of an answer: its head (written in one piece).
    const head = decoder.decode(chunk.subarray(0, 512));
    if (head.startsWith("HTTP/1.1 101 ")) this.#kind = "upgraded";
    else if (/^content-type: *text\/event-stream/im.test(head)) {
      this.#kind = "stream";
    } else if (head.startsWith("HTTP/")) this.#kind = "plain";
  }

  /**
   * One direction ended. The client sent all it will (`end`): the server
   * may still answer. The server cannot take more (`unwritable`): what it
   * wrote before is passed on, then its end closes both. Anything else
   * closes both now.
   */
  #ended(fromClient: boolean, how: "end" | "broken" | "unwritable"): void {
    this.#pumps--;
    if (this.#pumps > 0 && !this.#closed && !this.#draining) {
      if (fromClient && how === "end") {
        this.#upstream?.closeWrite().catch(() => {});
        return;
      }
      if (fromClient && how === "unwritable") return;
      if (!fromClient && how !== "unwritable") return this.#drain();
    }
    this.close();
    if (this.#pumps === 0) this.#done();
  }

  /**
   * The server's side ended while the client still sends: all the server
   * wrote has been passed on; close the client's socket for writing and
   * drop what it sends for up to {@link FRONT_DRAIN_MS}. Closing it with
   * unread input would reset the connection, and the client would lose the
   * last bytes (a fatal error, a close frame) before reading them.
   */
  #drain(): void {
    this.#draining = true;
    try {
      this.#upstream?.close();
    } catch {
      // already closed
    }
    this.#client.closeWrite().catch(() => this.close());
    this.#drainTimer = setTimeout(() => this.close(), FRONT_DRAIN_MS);
  }

  /** Close both sockets; the pumps end with their pending reads. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#drainTimer);
    if (this.#native !== undefined) return this.#native.abort();
    for (const c of [this.#client, this.#upstream]) {
      try {
        c?.close();
      } catch {
        // already closed
      }
    }
    if (this.#pumps === 0 && !this.#connecting) this.#done();
  }

  #done(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#port !== 0) this.#host.unregister(this.#port);
    this.#port = 0;
    this.#host.finished(this);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}
