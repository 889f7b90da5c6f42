// An in-memory network for the datagram transport: a DatagramServer and any
// number of DatagramClients (or raw senders), a fake clock, and a wire that
// a test can make lose, duplicate or reorder datagrams. No sockets. Then the
// helpers the datagram tests share: raw HELLOs, frames, joined members.

import assert from "node:assert/strict";
import { Chat } from "../../../core/chat.ts";
import {
  type Decoded,
  decodeFrames,
  encodeFrame,
} from "../../../core/codec/mod.ts";
import { DatagramServer } from "../../../core/datagram/server.ts";
import { DatagramClient } from "../../../core/datagram/client.ts";
import type { DatagramAddress } from "../../../core/datagram/address.ts";
import {
  type DatagramLimits,
  MIN_HELLO_DATAGRAM,
} from "../../../core/datagram/limits.ts";
import type { ChatEvent } from "../../../core/events.ts";
import type { Limits } from "../../../core/limits.ts";
import { FakeClock } from "../_peers.ts";
import { concat } from "../../_bytes.ts";

/** One datagram on the wire. */
export interface Packet {
  readonly bytes: Uint8Array;
  /** The client's address (source or destination). */
  readonly client: DatagramAddress;
  readonly toServer: boolean;
}

/**
 * Decides what becomes of a packet: deliver it 0, 1 or more times, or (-1)
 * put it back behind everything queued.
 */
export type Wire = (packet: Packet, index: number) => number;

/** A client on the network with what it has received. */
export interface NetClient {
  readonly client: DatagramClient;
  readonly address: DatagramAddress;
  readonly events: ChatEvent[];
  lost: number;
  closed: boolean;
}

export class Net {
  readonly clock = new FakeClock();
  readonly chat: Chat;
  readonly server: DatagramServer;
  /** Every packet the server sent, in order. */
  readonly fromServer: Packet[] = [];
  /** What happens to each packet; deliver everything once by default. */
  wire: Wire = () => 1;
  readonly #queue: Packet[] = [];
  readonly #tasks: (() => void)[] = [];
  readonly #clients = new Map<string, NetClient>();
  #count = 0;
  #nextPort = 40000;

  constructor(
    limits: Partial<DatagramLimits> = {},
    chatLimits: Partial<Limits> = {},
  ) {
    this.chat = new Chat({ now: this.clock.now, limits: chatLimits });
    let seed = 1;
    this.server = new DatagramServer(this.chat, {
      limits,
      send: (bytes, to) => {
        const p = { bytes: bytes.slice(), client: to, toServer: false };
        this.fromServer.push(p);
        this.#queue.push(p);
      },
      schedule: (task) => this.#tasks.push(task),
      random: (b) => {
        for (let i = 0; i < b.length; i++) {
          b[i] = (seed = (seed * 48271) % 2147483647) & 0xff;
        }
      },
    });
  }

  /** A new address on the network. */
  address(): DatagramAddress {
    return { address: "10.0.0.1", port: this.#nextPort++ };
  }

  /** Send raw bytes to the server from an address (not through the wire). */
  inject(bytes: Uint8Array, from: DatagramAddress): Packet[] {
    const before = this.fromServer.length;
    this.server.receive(bytes, from);
    this.#runTasks();
    return this.fromServer.slice(before).filter((p) => p.client === from);
  }

  /** A client, started (its HELLO is on the wire). */
  client(
    options: { datagramSize?: number; maxTries?: number } = {},
  ): NetClient {
    const address = this.address();
    const entry: NetClient = {
      address,
      events: [],
      lost: 0,
      closed: false,
      client: new DatagramClient({
        now: this.clock.now,
        transmit: (bytes) =>
          this.#queue.push({
            bytes: bytes.slice(),
            client: address,
            toServer: true,
          }),
        ...options,
      }),
    };
    entry.client.onEvent = (e) => entry.events.push(e);
    entry.client.onLost = (n) => entry.lost += n;
    entry.client.onClose = () => entry.closed = true;
    this.#clients.set(`${address.address}:${address.port}`, entry);
    entry.client.start();
    return entry;
  }

  /** Queue a command from a client (flushed at the end of the turn). */
  send(
    c: NetClient,
    ...commands: Parameters<DatagramClient["send"]>[0][]
  ): void {
    for (const cmd of commands) c.client.send(cmd);
    this.#tasks.push(() => c.client.flush());
  }

  /** Deliver everything on the wire (through `wire`) until it is quiet. */
  run(): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      this.#runTasks();
      const p = this.#queue.shift();
      if (p === undefined) return;
      const copies = this.wire(p, this.#count++);
      if (copies < 0) {
        this.#queue.push(p); // overtaken by what is behind it
        continue;
      }
      for (let i = 0; i < copies; i++) {
        if (p.toServer) this.server.receive(p.bytes, p.client);
        else {
          this.#clients.get(`${p.client.address}:${p.client.port}`)?.client
            .receive(p.bytes);
        }
      }
    }
    throw new Error("the network never went quiet");
  }

  /** Move time on, ticking clients and the chat, and deliver what follows. */
  advance(ms: number, step = 50): void {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      for (const c of this.#clients.values()) c.client.tick();
      this.chat.tick();
      this.run();
    }
  }

  #runTasks(): void {
    while (this.#tasks.length > 0) this.#tasks.shift()!();
  }
}

/** A HELLO frame, not padded. */
export const hello = encodeFrame({ type: "hello", version: 1, software: "t" });

/** A HELLO (or `first`) padded to `size` bytes. */
export function padded(size = MIN_HELLO_DATAGRAM, first = hello): Uint8Array {
  return concat(
    first,
    encodeFrame({ type: "pad", length: size - first.length - 6 }),
  );
}

/** The frames of a datagram. */
export function frames(bytes: Uint8Array): Decoded[] {
  return decodeFrames(bytes);
}

/** A client that joined `lobby` as `name`; its events are cleared. */
export function member(net: Net, name: string): NetClient {
  const c = net.client();
  net.run();
  assert.equal(c.client.state, "open");
  net.send(c, { type: "join", room: "lobby", name });
  net.run();
  assert.equal(c.events.at(-1)?.type, "welcome", JSON.stringify(c.events));
  c.events.length = 0;
  return c;
}

/** The token the server gave a client (from the TOKEN frame it sent). */
export function tokenOf(net: Net, c: NetClient): string {
  for (const p of net.fromServer) {
    if (p.client !== c.address) continue;
    for (const f of frames(p.bytes)) {
      if (!(f instanceof Error) && f.type === "token") return f.token;
    }
  }
  throw new Error("no token sent to that client");
}

/** The texts of the MESSAGEs among events. */
export function texts(events: readonly ChatEvent[]): string[] {
  return events.flatMap((e) => e.type === "message" ? [e.text] : []);
}
