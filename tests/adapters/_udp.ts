// Test helpers for UDP over real sockets: a raw socket that sends whatever
// a test likes and collects what comes back, a relay that can lose or pass
// datagrams between a client and a server, and a TestClient for the adapter
// conformance suite built on the real client protocol (core/datagram/client.ts).

import dgram from "node:dgram";
import {
  type Command,
  decodeFrames,
  encodeFrame,
} from "../../core/codec/mod.ts";
import { DatagramClient } from "../../core/datagram/client.ts";
import { MIN_HELLO_DATAGRAM } from "../../core/datagram/limits.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { TestClient } from "./_client.ts";
import { concat } from "../_bytes.ts";
export { concat } from "../_bytes.ts";

/** How long any single wait may take, in ms. */
export const WAIT_MS = 5000;

/** A `udp://HOST:PORT` URL as host and port. */
export function udpTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

/** Waits for a condition that a callback makes true. */
class Waiter {
  #wake: (() => void) | undefined;
  notify(): void {
    this.#wake?.();
  }
  async until(ready: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    if (ready()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} within ${ms} ms`)),
          ms,
        );
        this.#wake = () => ready() && resolve();
      });
    } finally {
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }
}

/** A plain UDP socket connected to a server: raw datagrams in and out. */
export class RawUdp {
  /** Every datagram received, in order. */
  readonly received: Uint8Array[] = [];
  readonly #socket: dgram.Socket;
  readonly #waiter = new Waiter();
  #taken = 0;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on("message", (msg: Uint8Array) => {
      this.received.push(new Uint8Array(msg));
      this.#waiter.notify();
    });
  }

  /** A socket connected to `url`. */
  static async open(url: string): Promise<RawUdp> {
    const { host, port } = udpTarget(url);
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((r) => socket.connect(port, host, () => r()));
    return new RawUdp(socket);
  }

  /** Send one datagram. */
  send(bytes: Uint8Array): void {
    this.#socket.send(bytes);
  }

  /** The next datagram not taken yet. */
  async next(ms = WAIT_MS): Promise<Uint8Array> {
    await this.#waiter.until(
      () => this.received.length > this.#taken,
      "no datagram",
      ms,
    );
    return this.received[this.#taken++]!;
  }

  /** Resolve after `ms` if no datagram came; fail if one did. */
  async silent(ms: number): Promise<void> {
    const before = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    if (this.received.length !== before) {
      throw new Error(
        `expected silence, got ${this.received.length - before} datagram(s)`,
      );
    }
  }

  /**
   * Open a session by hand: a padded HELLO, then the token from the answer.
   * The answer's frames are returned too.
   */
  async handshake(): Promise<{ token: string; frames: unknown[] }> {
    const hello = encodeFrame({ type: "hello", version: 1, software: "raw" });
    this.send(
      concat(
        hello,
        encodeFrame({
          type: "pad",
          length: MIN_HELLO_DATAGRAM - hello.length - 6,
        }),
      ),
    );
    const frames = decodeFrames(await this.next());
    const token = frames.find((f): f is Extract<typeof f, { type: "token" }> =>
      !(f instanceof Error) && f.type === "token"
    );
    if (!token) throw new Error(`no TOKEN in ${JSON.stringify(frames)}`);
    return { token: token.token, frames };
  }

  /** Close the socket. */
  close(): Promise<void> {
    return new Promise((r) => this.#socket.close(() => r()));
  }
}

/**
 * A UDP relay between clients and a server, as a lossy network would be:
 * `pass` decides for each datagram whether it goes through.
 */
export class UdpRelay {
  /** Datagrams dropped so far. */
  dropped = 0;
  readonly url: string;
  readonly #front: dgram.Socket;
  readonly #backs = new Map<string, dgram.Socket>();
  readonly #server: { host: string; port: number };
  readonly #pass: (bytes: Uint8Array, toServer: boolean) => boolean;

  private constructor(
    front: dgram.Socket,
    server: { host: string; port: number },
    pass: (bytes: Uint8Array, toServer: boolean) => boolean,
  ) {
    this.#front = front;
    this.#server = server;
    this.#pass = pass;
    this.url = `udp://127.0.0.1:${front.address().port}`;
    front.on(
      "message",
      (msg: Uint8Array, from: { address: string; port: number }) => {
        const key = `${from.address}:${from.port}`;
        let back = this.#backs.get(key);
        if (back === undefined) {
          back = dgram.createSocket("udp4");
          back.connect(this.#server.port, this.#server.host);
          back.on("message", (reply: Uint8Array) => {
            if (this.#pass(reply, false)) {
              this.#front.send(reply, from.port, from.address);
            } else this.dropped++;
          });
          this.#backs.set(key, back);
          const socket = back;
          back.once("connect", () => this.#forward(socket, msg));
          return;
        }
        this.#forward(back, msg);
      },
    );
  }

  /** A relay to the server at `url`. */
  static async open(
    url: string,
    pass: (bytes: Uint8Array, toServer: boolean) => boolean,
  ): Promise<UdpRelay> {
    const front = dgram.createSocket("udp4");
    await new Promise<void>((r) => front.bind(0, "127.0.0.1", () => r()));
    return new UdpRelay(front, udpTarget(url), pass);
  }

  #forward(back: dgram.Socket, msg: Uint8Array): void {
    if (this.#pass(msg, true)) back.send(msg);
    else this.dropped++;
  }

  /** Close every socket. */
  async close(): Promise<void> {
    const all = [this.#front, ...this.#backs.values()];
    await Promise.all(
      all.map((s) => new Promise<void>((r) => s.close(() => r()))),
    );
  }
}

/** True when a datagram carries a frame of this type number. */
export function carries(bytes: Uint8Array, type: string): boolean {
  try {
    return decodeFrames(bytes).some((f) =>
      !(f instanceof Error) && f.type === type
    );
  } catch {
    return false;
  }
}

/**
 * A {@link TestClient} over UDP: the real client protocol (token, acks,
 * retransmission), opened at `connect`. `sendRaw` puts the bytes in the
 * session's next datagram after its envelope. `ended` means the session is
 * over (a fatal error or a LEFT for itself): UDP has no connection to close.
 */
export class UdpTestClient implements TestClient {
  /** Server events lost on the way (gaps in the server's numbering). */
  lost = 0;
  readonly #socket: dgram.Socket;
  readonly #client: DatagramClient;
  readonly #transmit: (bytes: Uint8Array) => void;
  readonly #queue: ChatEvent[] = [];
  readonly #waiter = new Waiter();
  #ended = false;
  #paused = false;
  #held: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;
  #opening: (() => void) | undefined;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    this.#transmit = inOrder(socket);
    this.#client = new DatagramClient({
      now: () => performance.now(),
      transmit: this.#transmit,
    });
    this.#client.onEvent = (e) => {
      this.#queue.push(e);
      this.#waiter.notify();
    };
    this.#client.onLost = (count) => {
      this.lost += count;
    };
    this.#client.onClose = () => {
      this.#ended = true;
      this.#opening?.();
      this.#waiter.notify();
    };
    socket.on("message", (msg: Uint8Array) => {
      if (this.#closing) return;
      if (this.#paused) this.#held.push(new Uint8Array(msg));
      else this.#receive(msg);
    });
  }

  /** A session with the server at `url`, HELLO answered. */
  static async connect(url: string): Promise<UdpTestClient> {
    const { host, port } = udpTarget(url);
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((r) => socket.connect(port, host, () => r()));
    const c = new UdpTestClient(socket);
    // The client gives up by itself after a few HELLOs.
    const open = await new Promise<boolean>((resolve) => {
      c.#client.onOpen = () => resolve(true);
      c.#opening = () => resolve(false);
      c.#client.start();
      c.#arm();
    });
    c.#opening = undefined;
    // Refused (SERVER_FULL...): the refusal is the client's first event,
    // and the session has ended, as a stream server would close.
    if (!open && c.#queue.length === 0) {
      await c.close();
      throw new Error("Cannot open a UDP session: no answer");
    }
    return c;
  }

  send(command: Command): void {
    if (this.#closing) return;
    this.#client.send(command);
    queueMicrotask(() => {
      this.#client.flush();
      this.#arm();
    });
  }

  sendRaw(bytes: Uint8Array): void {
    // In the session but outside the client's own sequence: unreliable
    // (seq 0), as a client author testing the server would send it.
    const token = this.#client.token;
    this.#transmit(
      concat(encodeFrame({ type: "envelope", token, seq: 0 }), bytes),
    );
  }

  async next(timeoutMs = WAIT_MS): Promise<ChatEvent> {
    await this.#waiter.until(
      () => this.#queue.length > 0 || this.#ended,
      "no event",
      timeoutMs,
    );
    const e = this.#queue.shift();
    if (e === undefined) throw new Error("session ended, expected an event");
    return e;
  }

  async ended(timeoutMs = WAIT_MS): Promise<void> {
    await this.#waiter.until(
      () => this.#queue.length > 0 || this.#ended,
      "session still open",
      timeoutMs,
    );
    if (this.#queue.length > 0) {
      throw new Error(
        `expected the session to end, got ${JSON.stringify(this.#queue[0])}`,
      );
    }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const m of this.#held.splice(0)) this.#receive(m);
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#client.onClose = () => {};
      this.#client.close();
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await new Promise<void>((r) => this.#socket.close(() => r()));
      this.#ended = true;
      this.#waiter.notify();
    })();
  }

  #receive(msg: Uint8Array): void {
    this.#client.receive(msg);
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closing) return;
    const wake = this.#client.nextWake();
    if (wake === undefined) return;
    this.#timer = setTimeout(() => {
      this.#client.tick();
      this.#arm();
    }, Math.max(0, wake - performance.now()));
  }
}

/**
 * A send function that puts datagrams on the wire one at a time, in order
 * (a Deno `node:dgram` socket with several sends in flight may reverse them).
 */
export function inOrder(socket: dgram.Socket): (bytes: Uint8Array) => void {
  const queue: Uint8Array[] = [];
  let sending = false;
  const pump = () => {
    const next = queue.shift();
    sending = next !== undefined;
    if (next === undefined) return;
    try {
      socket.send(next, pump);
    } catch {
      queue.length = 0;
      sending = false;
    }
  };
  return (bytes) => {
    queue.push(bytes);
    if (!sending) pump();
  };
}
