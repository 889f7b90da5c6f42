/**
 * The stream adapter: TCP and Unix domain sockets, the only place that calls
 * `Deno.listen`. It moves bytes between sockets and core sessions: reads go
 * to `session.feed`, events are queued in a bounded {@link Outbox} and
 * written once per event-loop turn, one write in flight per connection.
 *
 * @module
 */

import { ListenError } from "../errors.ts";
import type { Chat, LogRecord } from "../../core/chat.ts";
import { Outbox } from "../../core/outbox.ts";
import type { Outgoing, Peer } from "../../core/peer.ts";
import type { Session } from "../../core/session.ts";

/** Smallest read buffer: a pending read pins its buffer, so idle members stay cheap. */
const MIN_READ = 128;
/** Largest read buffer. */
const MAX_READ = 64 * 1024;
/** Default quiet time before a silent connection is asked for a name. */
export const TEXT_PROMPT_MS = 500;
/** How often idle connections give back spare outbox slots, in ms. */
const TRIM_MS = 1000;
/** First wait before accepting again after a failed accept (EMFILE...). */
const ACCEPT_RETRY_MS = 50;
/** Longest wait between accept retries. */
const ACCEPT_RETRY_MAX_MS = 1000;

/** Where to listen. */
export type StreamAddress =
  | { transport: "tcp"; hostname?: string; port?: number }
  | { transport: "unix"; path: string };

/** Options of {@link listenStream}. */
export type StreamOptions = StreamAddress & {
  /** Time to finish writing queued bytes when closing, in ms. @default {2000} */
  lingerMs?: number;
  /**
   * Quiet time after which a new connection that sent nothing becomes a
   * text session and is asked for a name (binary clients speak at once;
   * people with nc wait to be asked), in ms; 0 never asks. @default {500}
   */
  textPromptMs?: number;
  /** Receives `accept_error` records (such as running out of file descriptors). */
  log?: (record: LogRecord) => void;
};

/** A running stream listener. */
export interface StreamListener {
  /** `"tcp"` or `"unix"`. */
  readonly transport: "tcp" | "unix";
  /** The bound address (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr | Deno.UnixAddr;
  /** A URL clients can use: `tcp://127.0.0.1:7878` or `unix:///path`. */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /** Stop accepting, close every connection, remove the socket file. */
  close(): Promise<void>;
}

/**
 * Listen for stream connections and attach each one to the chat.
 *
 * @param chat The chat.
 * @param options Transport and address.
 * @returns The running listener.
 * @throws {ListenError} When the address is in use, or a live server owns
 *   the Unix socket path, or the path is not a socket.
 * @example
 * ```ts ignore
 * const listener = await listenStream(chat, { transport: "tcp", port: 0 });
 * console.log(listener.url);
 * await listener.close();
 * ```
 */
export async function listenStream(
  chat: Chat,
  options: StreamOptions,
): Promise<StreamListener> {
  const lingerMs = options.lingerMs ?? 2000;
  const promptMs = options.textPromptMs ?? TEXT_PROMPT_MS;
  let listener: Deno.Listener;
  let url: string;
  let socketPath: string | undefined;
  if (options.transport === "unix") {
    socketPath = options.path;
    await clearStaleSocket(socketPath);
    try {
      listener = Deno.listen({ transport: "unix", path: socketPath });
    } catch (cause) {
      throw new ListenError(
        `Cannot listen on ${socketPath}: ${messageOf(cause)}`,
        { cause },
      );
    }
    url = unixUrl(socketPath);
  } else {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 7878;
    try {
      listener = Deno.listen({ transport: "tcp", hostname, port });
    } catch (cause) {
      throw new ListenError(
        `Cannot listen on ${hostname}:${port}: ${messageOf(cause)}`,
        { cause },
      );
    }
    const addr = listener.addr as Deno.NetAddr;
    url = `tcp://${
      addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
    }:${addr.port}`;
  }
  const transport = options.transport;
  const pool = new Pool(chat, transport, lingerMs, promptMs);
  let stopped = false;
  let retry:
    | { timer: ReturnType<typeof setTimeout>; resolve: () => void }
    | undefined;

  const accepting = (async () => {
    let delay = ACCEPT_RETRY_MS;
    for (;;) {
      let conn: Deno.Conn;
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
        // Out of file descriptors or memory: keep serving, and try again a
        // little later.
        options.log?.({
          event: "accept_error",
          transport,
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
      pool.attach(conn);
    }
  })();

  let closing: Promise<void> | undefined;
  return {
    transport,
    addr: listener.addr as Deno.NetAddr | Deno.UnixAddr,
    url,
    get connections() {
      return pool.open.size;
    },
    close() {
      return closing ??= (async () => {
        stopped = true;
        listener.close();
        if (retry) {
          clearTimeout(retry.timer);
          retry.resolve();
        }
        await accepting;
        // Give queued goodbyes up to the linger time, then cut the rest.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          pool.drained(),
          new Promise((r) => timer = setTimeout(r, lingerMs)),
        ]);
        clearTimeout(timer);
        for (const c of pool.open) c.close(false);
        await pool.drained();
        if (socketPath !== undefined) await removeSocket(socketPath);
      })();
    },
  };
}

/** Read buffers in one shared slab. */
const SLAB_SLOTS = 256;
/** Free {@link MIN_READ}-byte read buffers, views into shared slabs. */
const freeReads: Uint8Array[] = [];

/**
 * A read buffer for a connection that reads little: a view into a shared
 * slab, so that an idle member (whose pending read pins its buffer) costs
 * a view, not an ArrayBuffer and an allocation of its own. Views are
 * disjoint, so pending reads never share bytes.
 */
function takeReadBuffer(): Uint8Array {
  const free = freeReads.pop();
  if (free !== undefined) return free;
  const slab = new ArrayBuffer(MIN_READ * SLAB_SLOTS);
  for (let i = SLAB_SLOTS - 1; i > 0; i--) {
    freeReads.push(new Uint8Array(slab, i * MIN_READ, MIN_READ));
  }
  return new Uint8Array(slab, 0, MIN_READ);
}

/** Give back a read buffer once no read is pending on it. */
function giveReadBuffer(buf: Uint8Array): void {
  if (buf.length === MIN_READ) freeReads.push(buf);
}

/**
 * A flush round that took longer than this (in ms) means the server is busy
 * (a big room, many writes): the next round waits for a timer tick.
 */
const BUSY_ROUND_MS = 1;
// Two lists of the connections with something queued, swapped each round
// and kept (not reallocated): at 1,000 members a new list per round was
// garbage the young generation had to collect (docs/performance.md).
let due: (StreamConnection | undefined)[] = [];
let dueCount = 0;
let spare: (StreamConnection | undefined)[] = [];
let roundArmed = false;
let busy = false;

/**
 * Queue a connection's flush for the next round. Rounds write every
 * connection with something queued, one write each. A round runs as a
 * microtask right after the events that queued it, unless the previous
 * round took longer than {@link BUSY_ROUND_MS}: then it waits for a timer
 * tick, so that the reads arriving meanwhile share it. Under load that
 * makes fewer, fuller writes (at 1,000 members it doubled W1 throughput:
 * docs/performance.md); a server that is not busy writes at once.
 */
function scheduleFlush(c: StreamConnection): void {
  due[dueCount++] = c;
  if (roundArmed) return;
  roundArmed = true;
  if (busy) setTimeout(flushRound, 0);
  else queueMicrotask(flushRound);
}

function flushRound(): void {
  roundArmed = false;
  const start = performance.now();
  const list = due;
  const n = dueCount;
  due = spare;
  dueCount = 0;
  for (let i = 0; i < n; i++) list[i]!.flush();
  for (let i = 0; i < n; i++) list[i] = undefined; // fill() allocates
  spare = list;
  busy = performance.now() - start > BUSY_ROUND_MS;
}

/**
 * A listener's connections and what they share. Per-connection state is
 * kept small, because a server holds thousands of idle members: no async
 * function or promise chain per connection, only a pending read and the
 * callbacks made once per connection (docs/performance.md, W3).
 */
class Pool {
  readonly open = new Set<StreamConnection>();
  #idle: (() => void) | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly chat: Chat,
    readonly transport: "tcp" | "unix",
    readonly lingerMs: number,
    readonly promptMs: number,
  ) {}

  attach(conn: Deno.Conn): void {
    let remote = "unix";
    if (this.transport === "tcp") {
      const tcp = conn as Deno.TcpConn;
      // Keepalive finds peers that vanished without a FIN (a cable pulled).
      tcp.setNoDelay(true);
      tcp.setKeepAlive(true);
      const addr = tcp.remoteAddr;
      remote = `${addr.hostname}:${addr.port}`;
    }
    // Idle members give back the buffers of their last burst, once a
    // second (docs/performance.md, W3).
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => {
        for (const c of this.open) c.trim();
      }, TRIM_MS);
      Deno.unrefTimer(this.#sweeper);
    }
    // The connection joins `open` itself, first thing: the chat may refuse
    // and close it while it is being made (a full server).
    new StreamConnection(conn, this, remote);
  }

  /** A connection is closed and reads no more. */
  finished(c: StreamConnection): void {
    if (!this.open.delete(c) || this.open.size > 0) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#idle?.();
  }

  /** Resolves once every connection has finished. */
  drained(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = () => {
        this.#idle = undefined;
        resolve();
      };
    });
  }
}

/** One connection: the {@link Peer} the core writes to. */
class StreamConnection implements Peer {
  readonly #conn: Deno.Conn;
  readonly #pool: Pool;
  readonly #outbox: Outbox;
  readonly #session: Session;
  #buf = takeReadBuffer();
  #prompt: ReturnType<typeof setTimeout> | undefined;
  #reading = true;
  #scheduled = false;
  #writing = false;
  #closing = false;
  #closed = false;
  #linger: ReturnType<typeof setTimeout> | undefined;

  constructor(conn: Deno.Conn, pool: Pool, remote: string) {
    this.#conn = conn;
    this.#pool = pool;
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
    if (typeof n !== "number") {
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
    // Write what is still queued (a goodbye, an error), then close.
    this.close(true);
    if (this.#closed) this.#pool.finished(this);
  }

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
      scheduleFlush(this);
    }
    return true;
  }

  close(flush: boolean): void {
    if (this.#closed) return;
    if (!flush) {
      this.#outbox.clear();
      this.#shut();
      return;
    }
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#writing && this.#outbox.queued === 0 && !this.#scheduled) {
      this.#shut();
      return;
    }
    this.#linger = setTimeout(() => this.#shut(), this.#pool.lingerMs);
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
      if (this.#closing) this.#shut();
      return;
    }
    this.#writing = true;
    this.#pending = bytes;
    this.#written = 0;
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
      this.#shut();
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

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = false;
    clearTimeout(this.#linger);
    clearTimeout(this.#prompt);
    this.#outbox.clear();
    try {
      this.#conn.close(); // a pending read ends, and with it the connection
    } catch {
      // already closed
    }
    if (!this.#reading) this.#pool.finished(this);
  }
}

async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new ListenError(`Cannot listen on ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  if (!info.isSocket) {
    throw new ListenError(
      `Cannot listen on ${path}: a file that is not a socket is in the way`,
    );
  }
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
  } catch (e) {
    if (
      e instanceof Deno.errors.ConnectionRefused ||
      e instanceof Deno.errors.NotFound
    ) {
      await removeSocket(path); // stale: left by a crashed server
      return;
    }
    throw new ListenError(`Cannot listen on ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  throw new ListenError(
    `Cannot listen on ${path}: another server is listening there`,
  );
}

/** The URL of a socket path: absolute, with characters URLs reserve escaped. */
function unixUrl(path: string): string {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  return `unix://${encodeURI(absolute).replace(/[?#]/g, encodeURIComponent)}`;
}

async function removeSocket(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // already gone
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
