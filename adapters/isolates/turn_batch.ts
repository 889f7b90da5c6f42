/**
 * What one isolate publishes in one event-loop turn, posted as one message
 * of the bus (adapters/isolates/bus.ts) at the end of the turn: the room
 * events' frames one after the other, the announcements whose reach the
 * other isolates report, the times of history entries, and this isolate's
 * connection count when it changed.
 *
 * @module
 */

import { joinFrames } from "./frames.ts";
import type { Wire } from "./inbox.ts";

/** How far back {@link TurnBatch.stamp} looks for a frame. */
const STAMP_REACH = 16;

/** The events of one turn, on their way to one message. */
export class TurnBatch {
  #frames: Uint8Array[] = [];
  #bytes = 0;
  #tallies: [number, number][] | undefined;
  #times: number[] | undefined;
  #count: number | undefined;

  /** Bytes of frames queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queue a room event's frame.
   *
   * @param frame The event's binary frame, as members receive it.
   * @param tally An id under which receivers report what the event reached.
   */
  add(frame: Uint8Array, tally?: number): void {
    if (tally !== undefined) {
      (this.#tallies ??= []).push([this.#frames.length, tally]);
    }
    this.#frames.push(frame);
    this.#bytes += frame.length;
  }

  /**
   * Give a queued frame the time of its history entry. A frame not found
   * among the last few queued (already posted) goes without.
   *
   * @param frame The frame, as given to {@link TurnBatch.add}.
   * @param time Ms since the epoch.
   */
  stamp(frame: Uint8Array, time: number): void {
    const frames = this.#frames;
    const end = Math.max(0, frames.length - STAMP_REACH);
    for (let i = frames.length - 1; i >= end; i--) {
      if (frames[i] === frame) {
        (this.#times ??= []).push(i, time);
        return;
      }
    }
  }

  /** This isolate's connection count, to go with the events. */
  count(n: number): void {
    this.#count = n;
  }

  /**
   * Take the connection count queued, to post it ahead of the events.
   *
   * @returns The count, or undefined when none is queued.
   */
  takeCount(): number | undefined {
    const n = this.#count;
    this.#count = undefined;
    return n;
  }

  /**
   * The message of what was queued (unnumbered), and start again; undefined
   * when nothing was.
   *
   * @param from This isolate's id.
   */
  take(from: string): Wire | undefined {
    const frames = this.#frames, count = this.#count;
    if (frames.length === 0 && count === undefined) return undefined;
    const w: Wire = { f: from, s: 0, k: "e" };
    if (frames.length > 0) {
      w.b = frames.length === 1 ? frames[0]! : joinFrames(frames, this.#bytes);
    }
    if (count !== undefined) w.c = count;
    if (this.#tallies) w.q = this.#tallies;
    if (this.#times) w.h = this.#times;
    this.#frames = [];
    this.#bytes = 0;
    this.#tallies = undefined;
    this.#times = undefined;
    this.#count = undefined;
    return w;
  }
}
