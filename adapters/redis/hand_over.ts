/**
 * Hand-overs between nodes: a member resumes on a node other than the one
 * holding it. The node where it comes back publishes a request on the
 * channel `PREFIX resume`, naming the holder by the tag its tokens start
 * with; the holder moves the name claim to the asking node in one script
 * (adapters/redis/scripts.ts, `rcHandOver`), gives the member up (no
 * leave), and answers with the events the member missed, as binary frames.
 * The room sees nothing. Requests and answers are small JSON documents;
 * resumes are rare, so they share one channel. docs/scaling.md describes
 * the guarantees.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Redis } from "npm:ioredis@6";
import {
  type HandOff,
  type HandOffHandler,
  type HandOverRequest,
  nodeTag,
  tokenTag,
} from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { decodeFrame } from "../../core/codec/mod.ts";
import type { ChatEvent, LeftEvent } from "../../core/events.ts";
import { Outgoing } from "../../core/peer.ts";
import type { Ledger } from "./ledger.ts";
import type { ScriptCommands } from "./scripts.ts";
import { errorText } from "./wire.ts";

/** Largest frame taken from another node's answer. */
const MAX_FRAME = 1 << 20;

/** What {@link HandOvers} works with. */
export interface HandOversOptions {
  /** The command connection. */
  cmd: Redis & ScriptCommands;
  /** Key and channel prefix. */
  prefix: string;
  /** This node's id. */
  nodeId: string;
  /** This node's claims. */
  ledger: Ledger;
  /** Whether the node is online now. */
  online: () => boolean;
  /** How long to wait for the holder's answer, in ms. */
  timeoutMs: number;
  /** Tell the cluster a member left (a hand-over that came too late). */
  publishLeft: (event: LeftEvent) => void;
  /** Log sink. */
  log: (record: LogRecord) => void;
}

type Message =
  | {
    op: "ask";
    id: string;
    from: string;
    tag: string;
    token: string;
    seen: number;
  }
  | { op: "none"; id: string; to: string; moved?: Place }
  | ({
    op: "give";
    id: string;
    to: string;
    seq: number;
    lost: number;
    frames: string[];
  } & Place);

interface Place {
  room: string;
  key: string;
  name: string;
}

/** Both sides of hand-overs, for one node. */
export class HandOvers {
  /** This node's side: the chat's handler. */
  handler: HandOffHandler | undefined;
  /** The channel, `PREFIX resume`. */
  readonly channel: string;
  readonly #o: HandOversOptions;
  readonly #tag: string;
  readonly #waiting = new Map<
    string,
    {
      resolve: (h: HandOff | undefined) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  >();
  #next = 0;

  /** @param options Connection, prefix, node, ledger and timing. */
  constructor(options: HandOversOptions) {
    this.#o = options;
    this.channel = `${options.prefix}resume`;
    this.#tag = nodeTag(options.nodeId);
  }

  /**
   * Ask the node holding a token for its member.
   *
   * @returns What it gave, or undefined (nobody has it, or no answer).
   */
  ask(request: HandOverRequest): Promise<HandOff | undefined> {
    const tag = tokenTag(request.token);
    if (!this.#o.online() || tag === "" || tag === this.#tag) {
      return Promise.resolve(undefined);
    }
    const id = `${this.#o.nodeId}:${++this.#next}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(undefined);
      }, this.#o.timeoutMs);
      this.#waiting.set(id, { resolve, timer });
      this.#send({
        op: "ask",
        id,
        from: this.#o.nodeId,
        tag,
        token: request.token,
        seen: request.seen,
      }).catch(() => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(undefined);
      });
    });
  }

  /** A message on the channel. */
  receive(message: Uint8Array): void {
    let m: Message;
    try {
      m = JSON.parse(new TextDecoder().decode(message));
    } catch {
      return;
    }
    if (m.op === "ask") {
      if (m.tag === this.#tag && m.from !== this.#o.nodeId) this.#give(m);
    } else if (m.to === this.#o.nodeId) this.#answered(m);
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
  async #give(m: Message & { op: "ask" }): Promise<void> {
    const none = async (moved?: Place): Promise<void> => {
      await this.#send({
        op: "none",
        id: m.id,
        to: m.from,
        ...(moved ? { moved } : {}),
      }).catch(() => {});
    };
    const place = this.handler?.find(m.token);
    if (place === undefined) return none();
    const o = this.#o;
    let moved: number;
    try {
      moved = await o.cmd.rcHandOver(
        o.prefix,
        o.nodeId,
        place.room,
        place.key,
        m.from,
      );
    } catch (e) {
      o.log({
        event: "cluster",
        state: "hand_off_failed",
        detail: errorText(e),
      });
      return none();
    }
    if (moved !== 1) return none();
    o.ledger.forget(place.room, place.key);
    const h = this.handler?.take(m.token, m.seen);
    // Gone meanwhile (its leave was heard): the asking node frees the name.
    if (h === undefined) return none(place);
    await this.#send({
      op: "give",
      id: m.id,
      to: m.from,
      room: h.room,
      key: h.key,
      name: h.name,
      seq: h.seq,
      lost: h.lost,
      frames: h.events.map((out) =>
        Buffer.from(out.binary()).toString("base64")
      ),
    }).catch(() => {});
  }

  /** The asking side: the holder answered. */
  #answered(m: Message & { op: "none" | "give" }): void {
    const waiting = this.#waiting.get(m.id);
    this.#waiting.delete(m.id);
    if (waiting !== undefined) clearTimeout(waiting.timer);
    const place = m.op === "give" ? m : m.moved;
    if (waiting === undefined || m.op === "none") {
      // Too late, or given up by the holder after its claim moved here:
      // the name is ours and nobody has it. Free it, and say so.
      if (place !== undefined) this.#abandon(place);
      waiting?.resolve(undefined);
      return;
    }
    const events: Outgoing[] = [];
    for (const f of m.frames) {
      const frame = new Uint8Array(Buffer.from(f, "base64"));
      try {
        const event = decodeFrame(frame, { maxFrameSize: MAX_FRAME });
        events.push(new Outgoing(event as ChatEvent, frame));
      } catch {
        // a frame this node cannot read is lost
      }
    }
    const claim = this.#o.ledger.add(m.room, m.key, m.name);
    if (claim !== undefined) this.#o.ledger.confirm(claim);
    waiting.resolve({
      room: m.room,
      key: m.key,
      name: m.name,
      seq: m.seq,
      lost: m.lost + (m.frames.length - events.length),
      events,
    });
  }

  #abandon(place: Place): void {
    const o = this.#o;
    o.cmd.rcRelease(o.prefix, o.nodeId, place.room, place.key).catch(() => {});
    o.publishLeft({
      type: "left",
      room: place.room,
      name: place.name,
      reason: "disconnect",
    });
  }

  #send(m: Message): Promise<unknown> {
    return this.#o.cmd.publish(this.channel, JSON.stringify(m));
  }
}
