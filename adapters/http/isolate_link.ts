/**
 * What the HTTP adapter needs of the other isolates when several serve one
 * chat (`deno serve --parallel`, `serve --workers`): messages to an
 * isolate, requests to all, and who is alive. adapters/isolates'
 * `IsolateBackplane` provides it.
 *
 * @module
 */

/** Messages and requests between the isolates that serve one chat. */
export interface IsolateLink {
  /** This isolate's id. */
  readonly nodeId: string;
  /**
   * The isolate, alive as far as this one knows, whose node tag (the first
   * part of its tokens, core/hand_off.ts) is `tag`.
   */
  isolateOf(tag: string): string | undefined;
  /** Whether an isolate is alive (its lease is running). */
  alive(isolate: string): Promise<boolean>;
  /** Send a message to one isolate, in order with this one's others. */
  send(to: string, op: string, payload: unknown): void;
  /** Take the messages of one kind sent to this isolate. */
  on(op: string, handler: (payload: unknown, from: string) => void): void;
  /** Be told when an isolate is gone (declared lost). */
  onGone(handler: (isolate: string) => void): void;
  /** Answer one kind of request from the other isolates. */
  handle(
    op: string,
    handler: (payload: unknown, from: string) => unknown,
  ): void;
  /** Ask every other isolate; the answers that came within `timeoutMs`. */
  gather(
    op: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<Map<string, unknown>>;
}
