// Members on fake peers for the isolates backplane's history, resume and
// connection tests: joined with HELLO version 2 (resumable), with a bounded
// wait for what they receive from other isolates.

import assert from "node:assert/strict";
import type { Chat } from "../../../core/chat.ts";
import type { ChatEvent, ResumeInfo } from "../../../core/events.ts";
import type { Session } from "../../../core/session.ts";
import { FakePeer } from "../../core/_peers.ts";

/** A connection on a fake peer. */
export interface Conn {
  readonly peer: FakePeer;
  readonly session: Session;
}

/** A connection that said HELLO version 2. */
export function connect(chat: Chat): Conn {
  const peer = new FakePeer();
  const session = chat.connect(peer, { transport: "memory", hello: true });
  session.handle({ type: "hello", version: 2, software: "test" });
  return { peer, session };
}

/**
 * Events a peer received, from `from` on, once `done` says they are all
 * there (polled, at most `ms`).
 */
export async function until(
  peer: FakePeer,
  done: (events: ChatEvent[]) => boolean,
  ms = 5000,
): Promise<ChatEvent[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const events = peer.events;
    if (done(events)) return events;
    if (Date.now() > deadline) {
      assert.fail(`not within ${ms} ms; got ${JSON.stringify(events)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What a member got up to (and including) its welcome, and after. */
export interface Joined extends Conn {
  readonly welcome: ChatEvent & { type: "welcome" };
  readonly resume: ResumeInfo;
  /** The history after the welcome. */
  readonly history: (ChatEvent & { type: "history" })[];
}

/**
 * Join `room` as `name` and wait for the welcome and the history after it
 * (up to the first event that is not history, or `historyCount`).
 */
export async function join(
  chat: Chat,
  name: string,
  historyCount = 0,
  room = "lobby",
): Promise<Joined> {
  const c = connect(chat);
  c.session.handle({ type: "join", room, name });
  const events = await until(c.peer, (e) => {
    const at = e.findIndex((x) => x.type === "welcome");
    return at >= 0 && e.length - at - 1 >= historyCount;
  });
  const at = events.findIndex((x) => x.type === "welcome");
  const welcome = events[at] as ChatEvent & { type: "welcome" };
  assert.ok(welcome.resume, "a version 2 welcome has the resume fields");
  const history = events.slice(at + 1).filter((e) =>
    e.type === "history"
  ) as (ChatEvent & { type: "history" })[];
  c.peer.take();
  return { ...c, welcome, resume: welcome.resume, history };
}

/** The texts of messages and announcements (inside history, too). */
export function texts(events: readonly ChatEvent[]): string[] {
  return events.flatMap((e) => {
    const inner = e.type === "history" ? e.event : e;
    return inner.type === "message" || inner.type === "announcement"
      ? [inner.text]
      : [];
  });
}
