// A member that leaves is told `left`, and its connection closed, only once
// its name's release is written where the backplane keeps names (a shared
// store: isolates, Redis), so that it can take the name again at once on
// any node. In memory the release is done at once, and so is the telling.

import assert from "node:assert/strict";
import { HeldReleaseBackplane } from "../_held_release.ts";
import { member, setup } from "./_chat.ts";

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

Deno.test("leave: a connection lost while its release is written has nothing to wait for and is told nothing", () => {
  const backplane = new HeldReleaseBackplane();
  const { chat } = setup({ backplane });
  const bob = member(chat, "bob");
  bob.session.close(); // the transport lost it: nothing is told
  assert.equal(bob.session.released(), undefined);
  assert.equal(backplane.held, 1, "the release is still written");
  backplane.write();
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, []);
});

Deno.test("leave: a shutdown waits for the releases being written, and their members are told first", async () => {
  const backplane = new HeldReleaseBackplane();
  const { chat } = setup({ backplane });
  const bob = member(chat, "bob");
  bob.session.handle({ type: "leave" });
  let stopped = false;
  const stopping = chat.shutdown().then(() => stopped = true);
  await Promise.resolve();
  assert.equal(stopped, false, "waits for the release");
  backplane.write();
  await stopping;
  assert.deepEqual(bob.peer.take().map((e) => e.type), ["left"]);
  assert.deepEqual(bob.peer.closes, [true]);
});
