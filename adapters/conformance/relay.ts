/**
 * A UDP relay between clients and a server, as a lossy network would be:
 * a policy decides for each datagram whether it goes through. The kit puts
 * one in front of the server under test to check the UDP reliability rules
 * (docs/protocol.md, 12.4 to 12.6) with datagrams lost on purpose: chosen
 * ones (the first WELCOME, the answer to LEAVE) or a seeded random share.
 *
 * @module
 */

import dgram from "node:dgram";

/** Decides whether a datagram goes through (`toServer`: its direction). */
export type RelayPolicy = (bytes: Uint8Array, toServer: boolean) => boolean;

/** A `udp://HOST:PORT` URL as host and port. */
export function udpTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

/**
 * A UDP relay on 127.0.0.1: each client address gets its own socket toward
 * the server, so the server sees one address per client.
 *
 * @example
 * ```ts ignore
 * const relay = await UdpRelay.open("udp://127.0.0.1:7878", lossy(0.3, 1));
 * // connect clients to relay.url
 * await relay.close();
 * ```
 */
export class UdpRelay {
  /** Datagrams dropped so far. */
  dropped = 0;
  /** `udp://127.0.0.1:PORT`: where clients send. */
  readonly url: string;
  readonly #front: dgram.Socket;
  readonly #backs = new Map<string, dgram.Socket>();
  readonly #server: { host: string; port: number };
  readonly #pass: RelayPolicy;

  private constructor(
    front: dgram.Socket,
    server: { host: string; port: number },
    pass: RelayPolicy,
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
          back = dgram.createSocket(
            this.#server.host.includes(":") ? "udp6" : "udp4",
          );
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

  /**
   * A relay to the server at `url`.
   *
   * @param url `udp://HOST:PORT` of the server.
   * @param pass The policy: true lets a datagram through.
   * @returns The relay, listening.
   */
  static async open(url: string, pass: RelayPolicy): Promise<UdpRelay> {
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

/**
 * A policy that loses a share of the datagrams at random, each direction
 * with its own generator seeded from `seed` (the same run loses the same
 * datagrams, as far as their order is the same).
 *
 * @param rate Share lost, 0 to 1.
 * @param seed Any whole number.
 * @returns The policy.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const pass = lossy(0.3, 7);
 * const kept = Array.from({ length: 1000 }, () => pass(new Uint8Array(0), true));
 * assert.ok(Math.abs(kept.filter((k) => !k).length - 300) < 60);
 * ```
 */
export function lossy(rate: number, seed: number): RelayPolicy {
  const up = mulberry32(seed);
  const down = mulberry32(seed ^ 0x5bd1e995);
  return (_bytes, toServer) => (toServer ? up() : down()) >= rate;
}

/** A small seeded generator of numbers in [0, 1) (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
