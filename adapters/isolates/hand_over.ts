/**
 * Hand-overs between isolates: a member resumes on an isolate other than
 * the one holding it (the Redis backplane does the same between nodes,
 * adapters/redis/hand_over.ts). The isolate where it comes back asks every
 * isolate alive over the bus; the one holding the token moves the name's
 * claim to the asking isolate in one commit (adapters/isolates/claims.ts),
 * gives the member up without a leave, and answers with the events the
 * member missed, as binary frames; the others answer that they do not hold
 * it. Asking every isolate rather than the one the token's tag names lets a
 * member that was handed over once be handed over again (its token still
 * names the isolate it first joined on). The room sees nothing. A holder
 * that does not answer (gone, or stalled) leaves the request to time out
 * (5 s, or the lease if shorter) and the client to join again.
 *
 * @module
 */

import {
  type HandOff,
  type HandOffHandler,
  type HandOverRequest,
  tokenTag,
} from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { decodeFrame } from "../../core/codec/mod.ts";
import type { ChatEvent, LeftEvent } from "../../core/events.ts";
import { Outgoing } from "../../core/peer.ts";
import type { IsolateBus } from "./bus.ts";
import type { KvClaims } from "./claims.ts";

/** Largest frame taken from another isolate's answer. */
const MAX_FRAME = 1 << 20;

/** A member's place. */
interface Place {
  readonly room: string;
  readonly key: string;
  readonly name: string;
}

/** The asking isolate's request. */
interface Ask {
  readonly id: number;
  readonly token: string;
  readonly seen: number;
}

/** An answer: the member given, or not held (its claim moved or not). */
interface Answer {
  readonly id: number;
  readonly give?: Place & {
    readonly seq: number;
    readonly lost: number;
    readonly frames: readonly Uint8Array[];
  };
  /** Not given, but its claim had moved to the asking isolate already. */
  readonly moved?: Place;
}

interface Waiting {
  readonly expected: Set<string>;
  readonly resolve: (h: HandOff | undefined) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** What {@link IsolateHandOvers} works with. */
export interface IsolateHandOversOptions {
  /** The bus. */
  readonly bus: IsolateBus;
  /** This isolate's claims. */
  readonly claims: KvClaims;
  /** The other isolates alive now (who is expected to answer). */
  readonly peers: () => readonly string[];
  /** How long to wait for the holder's answer, in ms. */
  readonly timeoutMs: number;
  /** Tell the room, here and on every isolate, that a member is gone. */
  readonly left: (event: LeftEvent) => void;
  /** Log sink. */
  readonly log: (record: LogRecord) => void;
}

/** Both sides of hand-overs, for one isolate. */
export class IsolateHandOvers {
  /** This isolate's side: the chat's handler. */
  handler: HandOffHandler | undefined;
  readonly #o: IsolateHandOversOptions;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;

  /** @param options Bus, claims, peers, timing and what to tell. */
  constructor(options: IsolateHandOversOptions) {
    this.#o = options;
    options.bus.on("ho?", (p, from) => this.#give(p as Ask, from));
    options.bus.on("ho!", (p, from) => this.#answered(p as Answer, from));
  }

  /**
   * Ask the isolate holding a token for its member.
   *
   * @returns What it gave, or undefined (nobody has it, or no answer).
   */
  ask(request: HandOverRequest): Promise<HandOff | undefined> {
    const peers = this.#o.peers();
    if (tokenTag(request.token) === "" || peers.length === 0) {
      return Promise.resolve(undefined);
    }
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(undefined);
      }, this.#o.timeoutMs);
      this.#waiting.set(id, { expected: new Set(peers), resolve, timer });
      const ask: Ask = { id, token: request.token, seen: request.seen };
      this.#o.bus.send("*", "ho?", ask);
    });
  }

  /** Stop waiting: every request in flight gets no answer. */
  close(): void {
    for (const { resolve, timer } of this.#waiting.values()) {
      clearTimeout(timer);
      resolve(undefined);
    }
    this.#waiting.clear();
  }

  /** The holder's side: move the claim, give the member up, answer. */
  async #give(ask: Ask, from: string): Promise<void> {
    const reply = (a: Omit<Answer, "id">) =>
      this.#o.bus.send(from, "ho!", { id: ask.id, ...a } satisfies Answer);
    const place = this.handler?.find(ask.token);
    if (place === undefined) return reply({});
    let moved = false;
    try {
      moved = await this.#o.claims.handOver(place.room, place.key, from);
    } catch (e) {
      this.#o.log({
        event: "isolates",
        state: "hand_off_failed",
        detail: e instanceof Error ? e.message : String(e),
      });
    }
    if (!moved) return reply({});
    const h = this.handler?.take(ask.token, ask.seen);
    // Gone meanwhile (its leave went out from here): the asker frees the name.
    if (h === undefined) return reply({ moved: place });
    reply({
      give: {
        room: h.room,
        key: h.key,
        name: h.name,
        seq: h.seq,
        lost: h.lost,
        frames: h.events.map((out) => out.binary()),
      },
    });
  }

  /** The asking side: an isolate answered. */
  #answered(a: Answer, from: string): void {
    const waiting = this.#waiting.get(a.id);
    const give = a.give;
    if (give !== undefined) {
      this.#o.claims.adopt({ room: give.room, key: give.key, name: give.name });
      if (waiting === undefined) {
        // Too late: the member is nobody's now. Free its name, say it left.
        return this.#abandon(give, true);
      }
      this.#settle(a.id, waiting, handOffOf(give));
      return;
    }
    // Its claim came here, but the member had left: only the name to free.
    if (a.moved !== undefined) {
      this.#o.claims.adopt(a.moved);
      this.#abandon(a.moved, false);
    }
    if (waiting === undefined) return;
    waiting.expected.delete(from);
    if (waiting.expected.size === 0) this.#settle(a.id, waiting, undefined);
  }

  #settle(id: number, waiting: Waiting, h: HandOff | undefined): void {
    clearTimeout(waiting.timer);
    this.#waiting.delete(id);
    waiting.resolve(h);
  }

  #abandon(place: Place, tell: boolean): void {
    this.#o.claims.release(place.room, place.key);
    if (tell) {
      this.#o.left({
        type: "left",
        room: place.room,
        name: place.name,
        reason: "disconnect",
      });
    }
  }
}

/** The hand-off an answer carries, its frames decoded. */
function handOffOf(give: NonNullable<Answer["give"]>): HandOff {
  const events: Outgoing[] = [];
  for (const frame of give.frames) {
    try {
      const event = decodeFrame(frame, { maxFrameSize: MAX_FRAME });
      events.push(new Outgoing(event as ChatEvent, frame));
    } catch {
      // a frame this isolate cannot read is lost
    }
  }
  return {
    room: give.room,
    key: give.key,
    name: give.name,
    seq: give.seq,
    lost: give.lost + (give.frames.length - events.length),
    events,
  };
}
