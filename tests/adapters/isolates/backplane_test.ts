// The isolates backplane (adapters/isolates/backplane.ts), two or three
// backplanes on one store and channel in this process: each has its own
// BroadcastChannel object and its own SQLite connection, as isolates do.

import assert from "node:assert/strict";
import { IsolateBackplane } from "../../../adapters/isolates/mod.ts";
import { Chat } from "../../../core/chat.ts";
import { Group, listen } from "./_isolates.ts";

Deno.test("isolates: two chats are one chat: names, messages, leaves, counts", async () => {
  const g = await Group.make();
  try {
    const a = await g.chat(), b = await g.chat();
    const amy = await listen(a, "amy");
    const bob = await listen(b, "bob");
    assert.deepEqual(bob.events[0], {
      type: "welcome",
      room: "lobby",
      name: "bob",
      members: ["amy", "bob"],
      total: 2,
    });
    await amy.until((e) => e.type === "joined" && e.name === "bob");
    await assert.rejects(listen(b, "AMY"), /name "AMY" is taken/);
    await assert.rejects(listen(a, "Bob"), /name "Bob" is taken/);
    amy.member.say("hi from a");
    bob.member.say("hi from b");
    await bob.until((e) => e.type === "message" && e.text === "hi from a");
    await amy.until((e) => e.type === "message" && e.text === "hi from b");
    assert.deepEqual(await a.rooms(), [{ room: "lobby", members: 2 }]);
    assert.deepEqual([...await b.members("lobby")].sort(), ["amy", "bob"]);
    const carol = await listen(b, "carol", "kitchen");
    assert.deepEqual(await a.announceCounted("hello all"), {
      ok: true,
      rooms: 2,
      delivered: 3,
    });
    assert.deepEqual(await b.announceCounted("kitchen only", "kitchen"), {
      ok: true,
      rooms: 1,
      delivered: 1,
    });
    await carol.until((e) => e.type === "announcement" && e.room === null);
    bob.member.leave();
    await amy.until((e) =>
      e.type === "left" && e.name === "bob" && e.reason === "quit"
    );
    // The name is free again once the leave is written, on either isolate.
    for (
      let i = 0;
      i < 100 && (await a.members("lobby")).includes("bob");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await listen(a, "bob");
  } finally {
    await g.close();
  }
});

Deno.test("isolates: whoever hears a leave can take the name at once, on either isolate, 30 times", async () => {
  const g = await Group.make();
  try {
    const chats = [await g.chat(), await g.chat()];
    // One watcher per isolate hears the leaves.
    const watchers = [
      await listen(chats[0]!, "amy"),
      await listen(chats[1]!, "cat"),
    ];
    let bob = await listen(chats[0]!, "bob");
    for (let round = 1; round <= 30; round++) {
      const there = round % 2; // the isolate that hears the leave
      const watcher = watchers[there]!;
      const lefts = () =>
        watcher.events.filter((e) => e.type === "left" && e.name === "bob");
      const before = lefts().length;
      bob.member.leave();
      await watcher.until(() => lefts().length > before);
      // No retry: the leave went out after the name's release was written.
      bob = await listen(chats[there]!, "bob");
    }
  } finally {
    await g.close();
  }
});

Deno.test("isolates: a member told it left can take its name again at once on the other isolate, 30 times", async () => {
  const g = await Group.make();
  try {
    const chats = [await g.chat(), await g.chat()];
    let bob = await listen(chats[0]!, "bob");
    for (let round = 1; round <= 30; round++) {
      const gone = bob;
      gone.member.leave();
      // Its own `left` comes once the release is written: no retry.
      await gone.until((e) => e.type === "left" && e.name === "bob");
      bob = await listen(chats[round % 2]!, "bob");
    }
  } finally {
    await g.close();
  }
});

Deno.test("isolates: a name raced for on two isolates 200 times has one winner each time", async () => {
  const g = await Group.make();
  try {
    const a = await g.backplane(), b = await g.backplane();
    for (let i = 0; i < 200; i++) {
      const results = await Promise.all([
        a.claim("lobby", `n${i}`, `n${i}`),
        b.claim("lobby", `n${i}`, `N${i}`),
      ]);
      assert.equal(results.filter(Boolean).length, 1, `round ${i}`);
    }
    assert.deepEqual(await a.rooms(), [{ room: "lobby", members: 200 }]);
    await a.close();
    await b.close();
    // Closing gave every name back.
    const c = await g.backplane();
    assert.deepEqual(await c.rooms(), []);
    await c.close();
  } finally {
    await g.close();
  }
});

Deno.test("isolates: events cross in order, many to a message", async () => {
  const g = await Group.make();
  try {
    const limits = { messagesPerSecond: 0 };
    const a = await g.chat(10_000, limits), b = await g.chat(10_000, limits);
    const amy = await listen(a, "amy");
    const bob = await listen(b, "bob");
    const bp = a.backplane as IsolateBackplane;
    for (let i = 0; i < 500; i++) amy.member.say(`m${i}`);
    await bob.until((e) => e.type === "message" && e.text === "m499");
    const texts = bob.events.filter((e) => e.type === "message")
      .map((e) => e.type === "message" ? e.text : "");
    assert.deepEqual(texts, Array.from({ length: 500 }, (_, i) => `m${i}`));
    assert.ok(bp.nodeId.length === 12);
    // 500 messages said in one turn crossed as one message.
    assert.ok(bp.link.posted < 10, `posted ${bp.link.posted}`);
  } finally {
    await g.close();
  }
});

Deno.test("isolates: connect without --unstable-kv or a store fails with a reason", async () => {
  const g = await Group.make();
  try {
    await assert.rejects(
      IsolateBackplane.connect({ path: `${g.dir}/missing/dir/kv` }),
      /Cannot share rooms between isolates/,
    );
  } finally {
    await g.close();
  }
});

Deno.test("isolates: over MessagePorts instead of the channel, the same chat", async () => {
  const g = await Group.make();
  const { port1, port2 } = new MessageChannel();
  try {
    const connect = (port: MessagePort) =>
      IsolateBackplane.connect({ path: g.path, ports: [port] });
    const [pa, pb] = await Promise.all([connect(port1), connect(port2)]);
    const a = new Chat({ now: () => performance.now(), backplane: pa });
    const b = new Chat({ now: () => performance.now(), backplane: pb });
    g.chats.push(a, b);
    const amy = await listen(a, "amy");
    const bob = await listen(b, "bob");
    await assert.rejects(listen(b, "Amy"), /is taken/);
    amy.member.say("over a port");
    await bob.until((e) => e.type === "message" && e.text === "over a port");
    await amy.until((e) => e.type === "joined" && e.name === "bob");
    assert.deepEqual(await b.announceCounted("all"), {
      ok: true,
      rooms: 1,
      delivered: 2,
    });
  } finally {
    await g.close();
  }
});

Deno.test("isolates: in a join storm on two isolates, every WELCOME names all who joined before it was asked for", async () => {
  const g = await Group.make();
  try {
    const a = await g.chat(), b = await g.chat();
    const joined: string[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const names = Array.from({ length: 20 }, (_, i) => `w${wave}m${i}`);
      const members = await Promise.all(
        names.map((name, i) => listen(i % 2 ? a : b, name)),
      );
      for (const [i, m] of members.entries()) {
        const me = names[i]!;
        const welcome = m.events[0];
        assert.equal(welcome?.type, "welcome");
        if (welcome?.type !== "welcome") continue;
        // Read after its own claim: itself, and every earlier wave.
        const seen = new Set(welcome.members);
        for (const name of [me, ...joined]) {
          assert.ok(seen.has(name), `${me} misses ${name}`);
        }
        assert.ok(welcome.total >= joined.length + 1);
      }
      joined.push(...names);
    }
    assert.equal((await a.members("lobby")).length, 60);
  } finally {
    await g.close();
  }
});
