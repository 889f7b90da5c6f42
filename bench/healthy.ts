/**
 * Healthy members for the fuzz and soak runs: well-behaved clients on any
 * transport (through adapters/client) that join a room, say numbered
 * messages stamped with the time they were sent, and check what they hear:
 * every message of every other healthy member of the room, exactly once
 * and in order, with its latency.
 *
 * @module
 */

import { type ClientConnection, dial } from "../adapters/client/mod.ts";
import type { ReceivedEvent } from "../core/events.ts";

/** Names of healthy members start with this; others' messages are not counted. */
export const HEALTHY_PREFIX = "healthy";

/** Latencies of healthy members, in ms, by the second they were heard. */
export class Latencies {
  /** All samples. */
  readonly all: number[] = [];
  /** Samples per window, keyed by the window's start (s since `origin`). */
  readonly windows: Map<number, number[]> = new Map();

  /**
   * @param origin When the run started (performance.now()).
   * @param windowS Width of a window, in s.
   */
  constructor(readonly origin: number, readonly windowS: number) {}

  /** Add one. */
  add(ms: number, at: number): void {
    this.all.push(ms);
    const w = Math.floor((at - this.origin) / 1000 / this.windowS) *
      this.windowS;
    let list = this.windows.get(w);
    if (list === undefined) this.windows.set(w, list = []);
    list.push(ms);
  }

  /** The median, the 99th percentile and the most of all samples, in ms. */
  summary(): { p50: number; p99: number; max: number } {
    const all = this.all;
    return {
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      max: all.reduce((a, b) => Math.max(a, b), 0),
    };
  }
}

/** The p-th percentile (0..100) of some numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

/** What a healthy member saw go wrong. */
export interface Trouble {
  /** Messages heard twice. */
  duplicates: number;
  /** Messages heard after a later one of the same sender (gaps). */
  reordered: number;
  /** Messages a UDP member was told it lost. */
  lostNotices: number;
  /** The connection ended before the member left. */
  dropped: string | undefined;
}

/** A well-behaved member. */
export class HealthyMember {
  /** Messages said. */
  sent = 0;
  /** Messages heard from others, by sender: the next number expected. */
  readonly heard: Map<string, number> = new Map();
  /** Messages heard from others, by sender, each counted once. */
  readonly unique: Map<string, number> = new Map();
  /** Messages heard in all. */
  received = 0;
  readonly trouble: Trouble = {
    duplicates: 0,
    reordered: 0,
    lostNotices: 0,
    dropped: undefined,
  };
  #conn: ClientConnection | undefined;
  #welcome: (() => void) | undefined;
  #leaving = false;

  /**
   * @param name Its name (unique in the run).
   * @param url Where to connect (`tcp://`, `unix://`, `udp://`, `ws://`).
   * @param room The room.
   * @param latencies Where to record latencies (several: the run's, the
   *   transport's...).
   */
  constructor(
    readonly name: string,
    readonly url: string,
    readonly room: string,
    readonly latencies: Latencies | readonly Latencies[],
  ) {}

  /** The transport, from the URL. */
  get transport(): string {
    return new URL(this.url).protocol.replace(":", "");
  }

  /** Connect and join; resolves at the welcome. */
  async join(timeoutMs = 20_000): Promise<void> {
    const conn = this.#conn = await dial(new URL(this.url));
    conn.onEvent = (e) => this.#event(e);
    conn.onLost = (n) => this.trouble.lostNotices += n;
    conn.closed.then(() => {
      if (!this.#leaving) this.trouble.dropped ??= "closed by the server";
    });
    const welcomed = new Promise<void>((resolve) => this.#welcome = resolve);
    conn.send({ type: "hello", version: 1, software: "roomcast-healthy/1" });
    conn.send({ type: "join", room: this.room, name: this.name });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      welcomed,
      new Promise((_, reject) =>
        timer = setTimeout(
          () =>
            reject(new Error(`${this.name}: no welcome in ${timeoutMs} ms`)),
          timeoutMs,
        )
      ),
    ]).finally(() => clearTimeout(timer));
  }

  /** Say the next numbered message. */
  say(): void {
    const n = this.sent++;
    this.#conn?.send({
      type: "say",
      text: `${n} ${performance.now().toFixed(3)}`,
    });
  }

  /** Leave and close. */
  async leave(): Promise<void> {
    this.#leaving = true;
    const conn = this.#conn;
    if (conn === undefined) return;
    conn.send({ type: "leave" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      conn.closed,
      new Promise((r) => timer = setTimeout(r, 3000)),
    ]);
    clearTimeout(timer);
    conn.close();
  }

  #event(e: ReceivedEvent): void {
    if (e.type === "welcome") {
      this.#welcome?.();
      this.#welcome = undefined;
      return;
    }
    if (e.type === "error" && e.fatal) {
      this.trouble.dropped ??= `fatal ${e.code}: ${e.message}`;
      return;
    }
    if (e.type !== "message" || e.from === this.name) return;
    if (!e.from.startsWith(HEALTHY_PREFIX)) return; // not a healthy member's
    const [num, stamp] = e.text.split(" ");
    const n = Number(num);
    const now = performance.now();
    this.received++;
    const ms = now - Number(stamp);
    const l = this.latencies;
    if (l instanceof Latencies) l.add(ms, now);
    else for (const one of l) one.add(ms, now);
    const next = this.heard.get(e.from) ?? 0;
    if (n < next) this.trouble.duplicates++; // or late: out of order
    else {
      if (n > next) this.trouble.reordered++; // a gap: lost or late
      this.heard.set(e.from, n + 1);
      this.unique.set(e.from, (this.unique.get(e.from) ?? 0) + 1);
    }
  }
}

/** What the healthy members of a run heard, against what was said. */
export interface Delivery {
  /** Messages that should have been heard (each sender times its room's listeners). */
  expected: number;
  /** Messages heard. */
  received: number;
  /** Expected but not heard. */
  lost: number;
  duplicates: number;
  reordered: number;
  /** UDP loss notices. */
  lostNotices: number;
  /** Members whose connection ended early, with why. */
  dropped: string[];
}

/**
 * What the healthy members heard wrong, as a run's failure: messages lost,
 * duplicated or out of order.
 *
 * @param d The tally.
 * @returns No line, or one.
 */
export function heardFailures(d: Delivery): string[] {
  return d.lost + d.duplicates + d.reordered > 0
    ? [
      `healthy members: ${d.lost} lost, ${d.duplicates} duplicated, ${d.reordered} out of order`,
    ]
    : [];
}

/**
 * Count what every healthy member should have heard from the others in its
 * room, and what it did.
 *
 * @param members The healthy members.
 * @returns The tally.
 */
export function tallyDelivery(members: readonly HealthyMember[]): Delivery {
  const d: Delivery = {
    expected: 0,
    received: 0,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    lostNotices: 0,
    dropped: [],
  };
  const byRoom = new Map<string, HealthyMember[]>();
  for (const m of members) {
    byRoom.set(m.room, [...(byRoom.get(m.room) ?? []), m]);
  }
  for (const m of members) {
    for (const other of byRoom.get(m.room)!) {
      if (other === m) continue;
      d.expected += other.sent;
      const heard = m.unique.get(other.name) ?? 0;
      d.lost += Math.max(0, other.sent - heard);
    }
    d.received += m.received;
    d.duplicates += m.trouble.duplicates;
    d.reordered += m.trouble.reordered;
    d.lostNotices += m.trouble.lostNotices;
    if (m.trouble.dropped) d.dropped.push(`${m.name}: ${m.trouble.dropped}`);
  }
  return d;
}

/**
 * Wait until every healthy member heard all it should, or `ms` passed.
 *
 * @param members The healthy members.
 * @param ms The most time to wait, in ms.
 * @param pollMs Time between two tallies, in ms.
 */
export async function settle(
  members: readonly HealthyMember[],
  ms: number,
  pollMs: number,
): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (tallyDelivery(members).lost === 0) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
