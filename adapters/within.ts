/**
 * Waiting for something, but not for ever: shutdowns, answers from other
 * threads and stores all wait this way.
 *
 * @module
 */

/**
 * A promise's value, or undefined once `ms` have passed first. A rejection
 * passes through.
 *
 * @param promise What to wait for.
 * @param ms The longest wait, in ms.
 * @returns Its value, or undefined after `ms`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { within } from "./within.ts";
 * assert.equal(await within(Promise.resolve(1), 10), 1);
 * assert.equal(await within(new Promise(() => {}), 10), undefined);
 * ```
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) =>
        timer = setTimeout(() => resolve(undefined), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
