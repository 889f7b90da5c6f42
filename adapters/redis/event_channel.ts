/**
 * Events between nodes over Redis pub/sub: each room event is published
 * once on the channel `PREFIX events`, as an envelope around its binary
 * frame (adapters/redis/wire.ts), and every frame another node published
 * is handed to this node's chat as is. What waits for Redis is bounded:
 * past {@link MAX_PENDING_BYTES}, messages stay on this node.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { Redis } from "npm:ioredis@6";
import type { Receiver } from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { decodeFrame, encodeFrame } from "../../core/codec/mod.ts";
import type { RoomEvent } from "../../core/events.ts";
import { nameKey } from "../../core/names.ts";
import { Outgoing } from "../../core/peer.ts";
import type { Ledger } from "./ledger.ts";
import { errorText, open, seal } from "./wire.ts";

/**
 * Most bytes of events waiting for Redis before messages stop going to the
 * cluster (see {@link EventChannel.publish}).
 */
export const MAX_PENDING_BYTES = 16 << 20;
/** Largest frame accepted from another node. */
const MAX_REMOTE_FRAME = 1 << 20;

/** What an {@link EventChannel} works with. */
export interface EventChannelOptions {
  /** The command connection (publishing). */
  cmd: Redis;
  /** The channel, `PREFIX events`. */
  channel: string;
  /** This node's envelope head (adapters/redis/wire.ts `envelopeHead`). */
  head: Buffer;
  /** This node's claims: which joins and leaves the cluster has heard. */
  ledger: Ledger;
  /** Whether the node is online now. */
  online: () => boolean;
  /** Log sink. */
  log: (record: LogRecord) => void;
}

/** Room events out to the cluster, and in from the other nodes. */
export class EventChannel {
  /** The chat's receiver of events from other nodes. */
  receiver: Receiver | undefined;
  readonly #cmd: Redis;
  readonly #channel: string;
  readonly #head: Buffer;
  readonly #ledger: Ledger;
  readonly #online: () => boolean;
  readonly #log: (record: LogRecord) => void;
  #badMessages = 0;
  #closed = false;
  /** Bytes published and not yet acknowledged by Redis. */
  #pending = 0;
  #overflowing: ReturnType<typeof setInterval> | undefined;
  #dropped = 0;

  /** @param options Connection, channel, envelope head, ledger and log. */
  constructor(options: EventChannelOptions) {
    this.#cmd = options.cmd;
    this.#channel = options.channel;
    this.#head = options.head;
    this.#ledger = options.ledger;
    this.#online = options.online;
    this.#log = options.log;
  }

  /**
   * Publish an event once, as an envelope around its binary frame. While
   * more than {@link MAX_PENDING_BYTES} wait for Redis, messages and
   * announcements reach this node's members only (joins and leaves always
   * go out).
   */
  publish(event: RoomEvent, out?: Outgoing): void {
    const key = event.type === "joined" || event.type === "left"
      ? nameKey(event.name)
      : undefined;
    let send = this.#online();
    if (send && key === undefined && this.#pending > MAX_PENDING_BYTES) {
      send = false;
      this.#overflow();
    }
    if (key !== undefined) this.#ledger.published(key, event, send);
    if (!send) return;
    const envelope = seal(this.#head, out?.binary() ?? encodeFrame(event));
    const size = envelope.length;
    this.#pending += size;
    this.#cmd.publish(this.#channel, envelope).then(() => {
      this.#pending -= size;
      if (key !== undefined) this.#ledger.delivered(key, event);
    }, () => {
      this.#pending -= size;
      if (key !== undefined) this.#ledger.published(key, event, false);
    });
  }

  /** Stop handing events to the chat, and stop watching the backlog. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#overflowing);
  }

  /** A message from the channel: another node's event, or our own echoed. */
  receive(message: Uint8Array): void {
    if (this.#closed || this.receiver === undefined) return;
    const frame = open(message, this.#head);
    if (frame === null) return; // our own event, echoed
    if (typeof frame === "string") return this.#bad(frame);
    let event;
    try {
      event = decodeFrame(frame, { maxFrameSize: MAX_REMOTE_FRAME });
    } catch (e) {
      return this.#bad(errorText(e));
    }
    switch (event.type) {
      case "left":
        if (event.reason === "unknown") {
          // A newer node's reason: the member left all the same. Binary
          // members get the frame as it came; the rest read `disconnect`.
          const { reasonNumber: _, ...left } = event;
          const known = { ...left, reason: "disconnect" } as const;
          this.receiver(known, new Outgoing(known, frame));
          return;
        }
        this.receiver(event, new Outgoing(event, frame));
        return;
      case "joined":
      case "message":
      case "announcement":
        this.receiver(event, new Outgoing(event, frame));
        return;
      default:
        this.#bad(`frame type ${event.type} is not a room event`);
    }
  }

  /** Log the first event dropped for the cluster, once per backlog. */
  #overflow(): void {
    this.#dropped++;
    if (this.#overflowing !== undefined) return;
    this.#log({
      event: "cluster",
      state: "backlog_full",
      pending_bytes: this.#pending,
      detail: "messages reach this node's members only until Redis catches up",
    });
    this.#overflowing = setInterval(() => {
      if (this.#pending > MAX_PENDING_BYTES / 2) return;
      clearInterval(this.#overflowing);
      this.#overflowing = undefined;
      this.#log({
        event: "cluster",
        state: "backlog_drained",
        dropped: this.#dropped,
      });
      this.#dropped = 0;
    }, 100);
  }

  #bad(detail: string): void {
    if (this.#badMessages++ > 0) return;
    this.#log({
      event: "cluster",
      state: "bad_message",
      detail,
      channel: this.#channel,
    });
  }
}
