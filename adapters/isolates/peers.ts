/**
 * Messages and requests between the isolates of one instance, for what
 * lies beside the chat's rooms: the HTTP adapter hands a session's
 * requests and WebSockets to the isolate that holds it, and sums every
 * isolate's metrics (adapters/http/isolate_link.ts is the interface it
 * uses). The isolates backplane (adapters/isolates/backplane.ts) makes one
 * and shares its bus, requests and lease with it.
 *
 * @module
 */

import { nodeTag } from "../../core/backplane.ts";
import type { IsolateBus } from "./bus.ts";
import type { IsolateLease } from "./lease.ts";
import type { IsolateRequests } from "./requests.ts";

/** @internal What an {@link IsolatePeers} works with. */
export interface IsolatePeersOptions {
  /** This isolate's id. */
  readonly nodeId: string;
  /** The bus. */
  readonly bus: IsolateBus;
  /** Requests over the bus. */
  readonly requests: IsolateRequests;
  /** Who is alive. */
  readonly lease: IsolateLease;
}

/** The other isolates, as one isolate reaches them. */
export class IsolatePeers {
  /** This isolate's id. */
  readonly nodeId: string;
  readonly #o: IsolatePeersOptions;
  readonly #gone = new Set<(isolate: string) => void>();

  /**
   * @internal Made by the isolates backplane.
   * @param options Id, bus, requests and lease.
   */
  constructor(options: IsolatePeersOptions) {
    this.nodeId = options.nodeId;
    this.#o = options;
  }

  /** Messages this isolate has posted (events many to one). */
  get posted(): number {
    return this.#o.bus.posted;
  }

  /** The other isolates alive now (as far as this one knows). */
  peers(): string[] {
    return this.#o.lease.peers();
  }

  /**
   * The isolate, this one or one alive as far as this one knows, whose
   * node tag (the first part of its tokens) is `tag`.
   */
  isolateOf(tag: string): string | undefined {
    if (nodeTag(this.nodeId) === tag) return this.nodeId;
    return this.peers().find((id) => nodeTag(id) === tag);
  }

  /** Whether an isolate's lease is running. */
  alive(isolate: string): Promise<boolean> {
    return isolate === this.nodeId
      ? Promise.resolve(true)
      : this.#o.lease.alive(isolate);
  }

  /** Send a message to one isolate (or `"*"`), after this turn's events. */
  send(to: string, op: string, payload: unknown): void {
    this.#o.bus.send(to, op, payload);
  }

  /** Take the messages of one kind sent to this isolate. */
  on(op: string, handler: (payload: unknown, from: string) => void): void {
    this.#o.bus.on(op, handler);
  }

  /** Be told when an isolate is declared lost (by this one or another). */
  onGone(handler: (isolate: string) => void): void {
    this.#gone.add(handler);
  }

  /** An isolate was declared lost: tell who asked. */
  gone(isolate: string): void {
    this.#o.bus.forget(isolate);
    for (const h of this.#gone) h(isolate);
  }

  /** Ask one isolate and wait at most `timeoutMs` for the answer. */
  request(
    to: string,
    op: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    return this.#o.requests.request(to, op, payload, timeoutMs);
  }

  /** Ask every other isolate; the answers that came within `timeoutMs`. */
  gather(
    op: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<Map<string, unknown>> {
    return this.#o.requests.gather(this.peers(), op, payload, timeoutMs);
  }

  /** Answer one kind of request. */
  handle(
    op: string,
    handler: (payload: unknown, from: string) => unknown,
  ): void {
    this.#o.requests.handle(op, handler);
  }

  /** A port to an isolate that started after this one (Workers). */
  addPort(port: MessagePort): void {
    this.#o.bus.addPort(port);
  }
}
