/**
 * Errors the adapters raise when the operating system refuses them, shared by
 * every transport (`Cannot X: detail`, the OS error as `cause`).
 *
 * @module
 */

/** A transport listener failed to start. */
export class ListenError extends Error {
  /**
   * The transport that could not listen (`tcp`, `unix`, `udp`, `http`), when
   * known: `serve()` sets it, so that a command line can name the flag that
   * moves it.
   */
  transport: string | undefined;

  /**
   * Create a new instance.
   * @param message What failed, in the style `Cannot listen on X: detail`.
   * @param options Standard error options (cause), and the transport.
   */
  constructor(
    message: string,
    options?: ErrorOptions & { transport?: string },
  ) {
    super(message, options);
    this.name = "ListenError";
    this.transport = options?.transport;
  }

  /** Whether another socket holds the address (`EADDRINUSE`). */
  get addressInUse(): boolean {
    const cause = this.cause;
    return cause instanceof Deno.errors.AddrInUse ||
      (cause as { code?: unknown } | undefined)?.code === "EADDRINUSE";
  }
}

/**
 * The message of a thrown value, for `Cannot X: detail` messages and logs.
 *
 * @param e What was thrown.
 * @returns Its message, or the value as a string when it is not an Error.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(messageOf(new Error("refused")), "refused");
 * assert.equal(messageOf("gone"), "gone");
 * ```
 */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
