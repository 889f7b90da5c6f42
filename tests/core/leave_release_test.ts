// A member that leaves is told `left`, and its connection closed, only once
// its name's release is written where the backplane keeps names (a shared
// store: isolates, Redis), so that it can take the name again at once on
// any node. In memory the release is done at once, and so is the telling.

import assert from "node:assert/strict";
import type { Backplane, Receiver, RoomInfo } from "../../core/backplane.ts";
import type { RoomEvent } from "../../core/events.ts";
import { MemoryBackplane } from "../../core/memory_backplane.ts";
import { member, setup } from "./_chat.ts";

/** A MemoryBackplane whose releases are written when the test says so. */
class HeldReleaseBackplane implements Backplane {
  readonly inner = new MemoryBackplane();
  readonly #held: (() => void)[] = [];

  get nodeId(): string {
    return this.inner.nodeId;
  }

  /** Releases not written yet. */
  get held(): number {
    return this.#held.length;
  }

  claim(room: string, key: string, name: string): boolean {
    return this.inner.claim(room, key, name) as boolean;
  }

  release(room: string, key: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#held.push(() => {
      this.inner.release(room, key);
      resolve();
    });
    return promise;
  }

  /** Write every held release. */
  write(): void {
    for (const write of this.#held.splice(0)) write();
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

Deno.test("leave: with a release still being written, the member is told and closed once it is written; the room hears at once", async () => {
  const backplane = new HeldReleaseBackplane();
  const { chat } = setup({ backplane });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  amy.peer.take();
  bob.session.handle({ type: "leave" });
  // The room is told now; the name is not free yet.
  assert.deepEqual(amy.peer.take().map((e) => e.type), ["left"]);
  assert.deepEqual(bob.peer.take(), [], "told only once the name is free");
  assert.equal(bob.peer.closed, false);
  assert.equal(backplane.held, 1);
  let released = false;
  const done = bob.session.released()!.then(() => released = true);
  await Promise.resolve();
  assert.equal(released, false);
  backplane.write();
  await done;
  assert.deepEqual(bob.peer.take(), [{
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "quit",
  }]);
  assert.deepEqual(bob.peer.closes, [true], "closed after what it was told");
  // The name is free: bob can take it again.
  member(chat, "bob");
});

Deno.test("leave: in memory the member is told at once, with nothing to wait for", () => {
  const { chat } = setup();
  const bob = member(chat, "bob");
  bob.session.handle({ type: "leave" });
  assert.deepEqual(bob.peer.take().map((e) => e.type), ["left"]);
  assert.deepEqual(bob.peer.closes, [true]);
  assert.equal(bob.session.released(), undefined, "nothing to wait for");
  member(chat, "bob");
});

Deno.test("leave: a connection lost while its release is written is closed without a word, once", async () => {
  const backplane = new HeldReleaseBackplane();
  const { chat } = setup({ backplane });
  const bob = member(chat, "bob");
  bob.session.close(); // the transport lost it: nothing is told
  backplane.write();
  await bob.session.released();
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, []);
});
