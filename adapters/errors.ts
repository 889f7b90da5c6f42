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
