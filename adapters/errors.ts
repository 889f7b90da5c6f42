/**
 * Errors the adapters raise when the operating system refuses them, shared by
 * every transport (`Cannot X: detail`, the OS error as `cause`).
 *
 * @module
 */

/** A transport listener failed to start. */
export class ListenError extends Error {
  /**
   * Create a new instance.
   * @param message What failed, in the style `Cannot listen on X: detail`.
   * @param options Standard error options (cause).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ListenError";
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
