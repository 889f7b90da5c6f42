/**
 * Room events from the other isolates, handed to this isolate's chat: the
 * frames of one message split and decoded one by one, each given to the
 * chat with its own bytes, and the count an announcement reached sent back
 * when its sender asked. Each also goes into this isolate's copy of the
 * rooms' histories (adapters/isolates/history.ts), at the time its sender
 * stamped on it. Also the leaves of a reaped isolate's members (reason
 * `node_lost`), which the reaping isolate sends on the dead one's behalf
 * (an isolate declared lost while alive ignores its own).
 *
 * @module
 */

import type { Receiver } from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { IsolateBus, Wire } from "./bus.ts";
import { joinFrames, roomEventOf, splitFrames } from "./frames.ts";
import type { HistorySync } from "./history_sync.ts";
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
  /** Where this isolate's copy of the rooms' histories takes events. */
  readonly history: Pick<HistorySync, "received">;
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
    options.bus.onEvents((w) => this.frames(w));
    options.bus.on("lost", (p, from, seq) => {
      const { of, b } = p as { of: string; b: Uint8Array };
      // Declared lost while alive: this isolate's members are still here.
      if (of === options.nodeId) return;
      this.frames({ b, f: of }, { from, seq });
      options.peers.gone(of);
    });
  }

  /**
   * One message of frames (`b`) from `f`: `q` says which announcements to
   * report on, `h` the times of history entries, `s` its number. `via`
   * names the message that carried them when it is not theirs (the leaves
   * of a reaped isolate; none: this isolate reaped it).
   */
  frames(
    w: Pick<Wire, "b" | "f" | "q" | "h"> & { s?: number },
    via?: { from: string; seq: number },
  ): void {
    if (this.closed || w.b === undefined) return;
    const receiver = this.receiver, history = this.#o.history;
    const from = w.f, tallies = w.q, times = w.h;
    const origin = via?.from ?? from, seq = via ? via.seq : w.s ?? Infinity;
    let next = 0, nextTime = 0;
    splitFrames(w.b).forEach((frame, index) => {
      const e = roomEventOf(frame);
      if (typeof e === "string") return this.#bad(e, from);
      let time: number | undefined;
      if (times !== undefined && times[nextTime] === index) {
        time = times[nextTime + 1];
        nextTime += 2;
      }
      history.received(e.event, origin, seq, e.out, time);
      if (receiver === undefined) return;
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
    const b = joinFrames(frames, frames.reduce((n, f) => n + f.length, 0));
    this.frames({ b, f: dead });
    this.#o.bus.send("*", "lost", { of: dead, b });
  }

  #bad(detail: string, from: string): void {
    if (this.#badMessages++ > 0) return;
    this.#o.log({ event: "isolates", state: "bad_message", from, detail });
  }
}
