// Test helpers for UDP over real sockets: the conformance kit's raw socket
// (sends whatever a test likes, collects what comes back) and lossy relay,
// and a TestClient for the transport suite built on roomcast's own client
// protocol (core/datagram/client.ts).

import dgram from "node:dgram";
import {
  type Command,
  decodeFrames,
  encodeFrame,
} from "../../core/codec/mod.ts";
import { DatagramClient } from "../../core/datagram/client.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { TestClient } from "./_client.ts";
import { concat } from "../_bytes.ts";
import { udpTarget } from "../../adapters/conformance/mod.ts";
export { concat } from "../_bytes.ts";
export { RawUdp, UdpRelay, udpTarget } from "../../adapters/conformance/mod.ts";

/** How long any single wait may take, in ms. */
export const WAIT_MS = 5000;

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
