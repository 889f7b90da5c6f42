/**
 * A plain UDP socket for the conformance kit's UDP cases: it sends whatever
 * a case likes (forged tokens, numbered datagrams sent twice or out of
 * order, garbage) and collects what comes back, datagram by datagram.
 *
 * @module
 */

import dgram from "node:dgram";
import {
  type Decoded,
  decodeFrames,
  encodeFrame,
  type Frame,
} from "../../core/codec/mod.ts";
import { WAIT_MS } from "./client.ts";
import type { Harness } from "./harness.ts";
import { udpTarget } from "./relay.ts";
import { concat } from "./wire.ts";

/** Smallest datagram that may open a session (docs/protocol.md, 12.3). */
export const MIN_HELLO_DATAGRAM = 256;

/** The frames of a datagram; an empty list when it is not whole frames. */
export function framesOf(bytes: Uint8Array): Decoded[] {
  try {
    return decodeFrames(bytes, { maxFrameSize: 1 << 24 });
  } catch {
    return [];
  }
}

/** The frames of a datagram that decoded, as objects. */
export function decoded(bytes: Uint8Array): Frame[] {
  return framesOf(bytes).filter((f): f is Frame => !(f instanceof Error));
}

/**
 * A padded HELLO datagram (256 bytes), the opening of a session.
 *
 * @param size Its size. @default {256}
 * @returns The datagram.
 */
export function paddedHello(size: number = MIN_HELLO_DATAGRAM): Uint8Array {
  const hello = encodeFrame({ type: "hello", version: 1, software: "kit" });
  return concat(
    hello,
    encodeFrame({ type: "pad", length: Math.max(0, size - hello.length - 6) }),
  );
}

/**
 * A datagram of a session: ENVELOPE (token, seq), then `frames`.
 *
 * @param token The session token (32 hex digits).
 * @param seq Its number (0: not reliable).
 * @param frames What it carries.
 * @returns The datagram.
 */
export function envelope(
  token: string,
  seq: number,
  ...frames: Frame[]
): Uint8Array {
  return concat(
    encodeFrame({ type: "envelope", token, seq }),
    ...frames.map((f) => encodeFrame(f)),
  );
}

/** A UDP socket connected to a server: raw datagrams in and out. */
export class RawUdp {
  /** Every datagram received, in order. */
  readonly received: Uint8Array[] = [];
  readonly #socket: dgram.Socket;
  #wake: (() => void) | undefined;
  #taken = 0;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on("message", (msg: Uint8Array) => {
      this.received.push(new Uint8Array(msg));
      this.#wake?.();
    });
  }

  /** A socket connected to `url` (`udp://HOST:PORT`). */
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

  /** The next datagram not taken yet; rejects after `ms`. */
  async next(ms: number = WAIT_MS): Promise<Uint8Array> {
    if (this.received.length === this.#taken) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no datagram within ${ms} ms`)),
            ms,
          );
          this.#wake = resolve;
        });
      } finally {
        clearTimeout(timer);
        this.#wake = undefined;
      }
    }
    return this.received[this.#taken++]!;
  }

  /**
   * Datagrams taken one by one until one carries a frame `found` accepts.
   *
   * @returns That frame and the frames of every datagram taken.
   */
  async until(
    found: (f: Frame) => boolean,
    ms: number = WAIT_MS,
  ): Promise<{ frame: Frame; frames: Frame[] }> {
    const frames: Frame[] = [];
    for (;;) {
      const got = decoded(await this.next(ms));
      frames.push(...got);
      const frame = got.find(found);
      if (frame !== undefined) return { frame, frames };
    }
  }

  /** Resolve after `ms` if no datagram came; fail if one did. */
  async silent(ms: number): Promise<void> {
    const before = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    if (this.received.length !== before) {
      throw new Error(
        `expected silence, got ${this.received.length - before} datagram(s): ${
          JSON.stringify(this.received.slice(before).map(decoded))
        }`,
      );
    }
  }

  /**
   * Open a session by hand: a padded HELLO, then the token from the answer.
   *
   * @returns The token and the answer's frames.
   */
  async handshake(): Promise<{ token: string; frames: Frame[] }> {
    this.send(paddedHello());
    const frames = decoded(await this.next());
    const token = frames.find((f) => f.type === "token");
    if (token?.type !== "token") {
      throw new Error(`no TOKEN in ${JSON.stringify(frames)}`);
    }
    return { token: token.token, frames };
  }

  /** Close the socket. */
  close(): Promise<void> {
    return new Promise((r) => this.#socket.close(() => r()));
  }
}

/** A raw session: its socket, token and the limit from its TOKEN. */
export interface RawSession {
  /** Its socket. */
  readonly raw: RawUdp;
  /** Its token (32 hex digits). */
  readonly token: string;
  /** The server's datagram size limit, from TOKEN. */
  readonly maxDatagram: number;
}

/**
 * A session opened by hand on a socket of the case's own.
 *
 * @param h The case's harness (which closes the socket at the end).
 * @returns The session.
 */
export async function rawSession(h: Harness): Promise<RawSession> {
  const raw = h.track(await RawUdp.open(h.url));
  const { token, frames } = await raw.handshake();
  const t = frames.find((f) => f.type === "token");
  const maxDatagram = t?.type === "token" ? t.maxDatagram : 1200;
  return { raw, token, maxDatagram };
}

/**
 * A raw session that joined `name` in the case's lobby, in datagram 1.
 *
 * @param h The case's harness.
 * @param name The name.
 * @returns The session, its WELCOME taken.
 */
export async function rawMember(h: Harness, name: string): Promise<RawSession> {
  const s = await rawSession(h);
  s.raw.send(envelope(s.token, 1, { type: "join", room: h.room(), name }));
  await s.raw.until((f) => f.type === "welcome");
  return s;
}
