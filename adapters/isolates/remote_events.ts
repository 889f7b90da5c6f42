/**
 * Room events from the other isolates, handed to this isolate's chat: the
 * frames of one message split and decoded one by one, each given to the
 * chat with its own bytes, and the count an announcement reached sent back
 * when its sender asked. Also the leaves of a reaped isolate's members
 * (reason `node_lost`), which the reaping isolate sends on the dead one's
 * behalf (an isolate declared lost while alive ignores its own).
 *
 * @module
 */

import type { Receiver } from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { IsolateBus } from "./bus.ts";
import { roomEventOf, splitFrames } from "./frames.ts";
import type { LostMember } from "./lease.ts";
import type { IsolatePeers } from "./peers.ts";

/** What {@link RemoteEvents} works with. */
export interface RemoteEventsOptions {
  /** This isolate's id. */
  readonly nodeId: string;
  /** The bus. */
  readonly bus: IsolateBus;
  /** Told when an isolate is gone. */
  readonly peers: IsolatePeers;
  /** Log sink. */
  readonly log: (record: LogRecord) => void;
}

/** Other isolates' events on their way to this isolate's chat. */
export class RemoteEvents {
  /** The chat's receiver. */
  receiver: Receiver | undefined;
  /** True once the backplane closed. */
  closed = false;
  readonly #o: RemoteEventsOptions;
  #badMessages = 0;

  /** @param options Id, bus, peers and log. */
  constructor(options: RemoteEventsOptions) {
    this.#o = options;
    options.bus.onEvents((frames, from, tallies) =>
      this.frames(frames, from, tallies)
    );
    options.bus.on("lost", (p) => {
      const { of, b } = p as { of: string; b: Uint8Array };
      // Declared lost while alive: this isolate's members are still here.
      if (of === options.nodeId) return;
      this.frames(b, of, undefined);
      options.peers.gone(of);
    });
  }

  /**
   * One message of frames from `from`; `tallies` says which announcements
   * to report on.
   */
  frames(
    frames: Uint8Array,
    from: string,
    tallies: readonly (readonly [number, number])[] | undefined,
  ): void {
    const receiver = this.receiver;
    if (receiver === undefined || this.closed) return;
    let next = 0;
    splitFrames(frames).forEach((frame, index) => {
      const e = roomEventOf(frame);
      if (typeof e === "string") return this.#bad(e, from);
      const reach = receiver(e.event, e.out);
      const t = tallies?.[next];
      if (t !== undefined && t[0] === index) {
        next++;
        this.#o.bus.send(from, "tally", {
          id: t[1],
          delivered: reach?.delivered ?? 0,
        });
      }
    });
  }

  /** This isolate reaped `dead`: its members' leaves, here and everywhere. */
  reaped(dead: string, members: readonly LostMember[]): void {
    this.#o.peers.gone(dead);
    const frames = members.map((m) =>
      encodeFrame({
        type: "left",
        room: m.room,
        name: m.name,
        reason: "node_lost",
      })
    );
    const b = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      b.set(f, at);
      at += f.length;
    }
    this.frames(b, dead, undefined);
    this.#o.bus.send("*", "lost", { of: dead, b });
  }

  #bad(detail: string, from: string): void {
    if (this.#badMessages++ > 0) return;
    this.#o.log({ event: "isolates", state: "bad_message", from, detail });
  }
}
