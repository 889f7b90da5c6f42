/**
 * Store writes that a turn's events must follow to the other isolates: a
 * leave goes out once its name's release is written, so that an isolate
 * that hears of the leave can claim the name at once (docs/scaling.md).
 *
 * @module
 */

import { within } from "../within.ts";

/** Longest a turn's events wait for the writes they follow. */
export const MAX_HOLD_MS = 200;

/** The writes a turn's events wait for. */
export class TurnHold {
  #holding: Promise<void> | undefined;

  /** True while a write is pending. */
  get holding(): boolean {
    return this.#holding !== undefined;
  }

  /**
   * The events queued from now on follow `write`.
   *
   * @param write A store write; its failure is the writer's to report.
   */
  after(write: Promise<unknown>): void {
    const settled = write.then(() => {}, () => {});
    const held = this.#holding;
    const all = held ? Promise.all([held, settled]).then(() => {}) : settled;
    this.#holding = all;
    all.then(() => {
      if (this.#holding === all) this.#holding = undefined;
    });
  }

  /**
   * Settles once no write is pending (writes added meanwhile included), or
   * {@link MAX_HOLD_MS} after the call.
   *
   * @returns A promise that settles then.
   */
  async settled(): Promise<void> {
    const deadline = performance.now() + MAX_HOLD_MS;
    for (;;) {
      const held = this.#holding;
      const left = deadline - performance.now();
      if (held === undefined || left <= 0) return;
      await within(held, left);
    }
  }
}
