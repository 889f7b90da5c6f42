// A backplane whose releases of names take time to be written, as in a
// shared store (Deno KV, Redis): for the tests of what waits for them.

import type { Backplane, Receiver, RoomInfo } from "../core/backplane.ts";
import type { RoomEvent } from "../core/events.ts";
import { MemoryBackplane } from "../core/memory_backplane.ts";

/**
 * A MemoryBackplane whose releases are written when the test calls
 * {@link HeldReleaseBackplane.write}, or `ms` after they are asked for.
 */
export class HeldReleaseBackplane implements Backplane {
  readonly inner = new MemoryBackplane();
  readonly #held = new Set<() => void>();
  readonly #ms: number | undefined;

  /** @param ms Write each release this long after it is asked for. */
  constructor(ms?: number) {
    this.#ms = ms;
  }

  get nodeId(): string {
    return this.inner.nodeId;
  }

  /** Releases not written yet. */
  get held(): number {
    return this.#held.size;
  }

  claim(room: string, key: string, name: string): boolean {
    return this.inner.claim(room, key, name) as boolean;
  }

  release(room: string, key: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const write = () => {
      if (!this.#held.delete(write)) return;
      this.inner.release(room, key);
      resolve();
    };
    this.#held.add(write);
    if (this.#ms !== undefined) setTimeout(write, this.#ms);
    return promise;
  }

  /** Write every held release now. */
  write(): void {
    for (const write of [...this.#held]) write();
  }

  publish(event: RoomEvent): void {
    this.inner.publish(event);
  }

  listen(receiver: Receiver): void {
    this.inner.listen(receiver);
  }

  members(room: string): readonly string[] {
    return this.inner.members(room) as readonly string[];
  }

  rooms(): readonly RoomInfo[] {
    return this.inner.rooms() as readonly RoomInfo[];
  }

  close(): void {
    this.inner.close();
  }
}
