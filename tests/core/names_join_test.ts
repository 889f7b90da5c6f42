// The naming rules at JOIN: look-alikes of a member are NAME_TAKEN (on one
// node and across nodes sharing a backplane), look-alikes of reserved names
// are NAME_RESERVED, and a name that mixes scripts is NAME_INVALID only when
// it looks like nobody in the room.

import assert from "node:assert/strict";
import { MemoryBackplane, MemoryBus } from "../../core/memory_backplane.ts";
import { Chat } from "../../core/chat.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { Session } from "../../core/session.ts";
import { FakeClock, FakePeer } from "./_peers.ts";

interface Conn {
  peer: FakePeer;
  session: Session;
}

function node(bus = new MemoryBus()): Chat {
  return new Chat({
    now: new FakeClock().now,
    backplane: new MemoryBackplane({ bus }),
  });
}

function connect(chat: Chat): Conn {
  const peer = new FakePeer();
  return { peer, session: chat.connect(peer, { transport: "memory" }) };
}

/** What the server answers to a JOIN of `name`: welcome, or an error. */
function join(conn: Conn, name: string, room = "lobby"): ChatEvent {
  conn.session.handle({ type: "join", room, name });
  const events = conn.peer.take();
  assert.equal(events.length, 1, JSON.stringify(events));
  return events[0]!;
}

function code(event: ChatEvent): string {
  return event.type === "error" ? event.code : event.type;
}

Deno.test("names at join: look-alikes of a member are NAME_TAKEN", () => {
  const chat = node();
  assert.equal(code(join(connect(chat), "bob")), "welcome");
  const other = connect(chat);
  for (
    const name of [
      "bоb", // Cyrillic о: mixed scripts, but taken comes first
      "bοb", // Greek ο
      "ВОВ", // all Cyrillic
      "ΒΟΒ", // all Greek
      "b0b",
      "BOB",
      "ｂｏｂ",
      "bob\ufe0f",
      "bob\u0301",
    ]
  ) {
    const answer = join(other, name);
    assert.equal(code(answer), "NAME_TAKEN", name);
    assert.equal(other.session.state, "ready");
  }
  // The same look-alike in another room is another matter.
  assert.equal(code(join(other, "ВОВ", "elsewhere")), "welcome");
});

Deno.test("names at join: a mixed-script name nobody holds is NAME_INVALID and leaves no claim", () => {
  const chat = node();
  const c = connect(chat);
  const answer = join(c, "bоb");
  assert.equal(code(answer), "NAME_INVALID");
  assert.match(
    answer.type === "error" ? answer.message : "",
    /mixes Latin and Cyrillic letters in one word/,
  );
  // The name was not kept: bob can have it, and the room is empty.
  assert.equal(code(join(connect(chat), "bob")), "welcome");
  assert.deepEqual(chat.backplane.members("lobby"), ["bob"]);
  assert.equal(code(join(c, "bob smith")), "welcome");
});

Deno.test("names at join: look-alikes of reserved names are NAME_RESERVED", () => {
  const chat = node();
  const c = connect(chat);
  for (
    const name of [
      "аdmin",
      "αdmin",
      "ɑdmin",
      "admіn",
      "ADMIN",
      "sеrver",
      "管理員",
    ]
  ) {
    assert.equal(code(join(c, name)), "NAME_RESERVED", name);
  }
  assert.equal(code(join(c, "*** admin")), "NAME_INVALID");
  assert.equal(code(join(c, "张三")), "welcome");
});

Deno.test("names at join: a look-alike is NAME_TAKEN on another node of the cluster", () => {
  const bus = new MemoryBus();
  const a = node(bus), b = node(bus);
  assert.equal(code(join(connect(a), "bob")), "welcome");
  const c = connect(b);
  for (const name of ["bоb", "ВОВ", "b0b", "Bob"]) {
    assert.equal(code(join(c, name)), "NAME_TAKEN", name);
  }
  assert.equal(code(join(c, "amy")), "welcome");
});
