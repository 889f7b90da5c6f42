// Helpers for the isolates backplane tests: chats on backplanes that share
// a store (a KV file in a temp dir) and a channel, and members that record
// what they hear.

import { IsolateBackplane } from "../../../adapters/isolates/mod.ts";
import { Chat, type LogRecord } from "../../../core/chat.ts";
import type { ChatEvent } from "../../../core/events.ts";
import type { Limits } from "../../../core/limits.ts";
import { addMember, type Member } from "../../../core/member.ts";

/** A store and channel for one test, removed by `close`. */
export class Group {
  readonly dir: string;
  readonly channel = `roomcast-test-${crypto.randomUUID()}`;
  readonly chats: Chat[] = [];
  readonly logs: LogRecord[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async make(): Promise<Group> {
    return new Group(await Deno.makeTempDir({ prefix: "roomcast-iso-" }));
  }

  /** The KV file of the group. */
  get path(): string {
    return `${this.dir}/kv.sqlite`;
  }

  /** A backplane of the group. */
  backplane(leaseMs = 10_000): Promise<IsolateBackplane> {
    return IsolateBackplane.connect({
      path: this.path,
      channel: this.channel,
      leaseMs,
      log: (r) => this.logs.push(r),
    });
  }

  /** A chat on a new backplane of the group (its own time of day, if given). */
  async chat(
    leaseMs = 10_000,
    limits: Partial<Limits> = {},
    wallClock?: () => number,
  ): Promise<Chat> {
    const chat = new Chat({
      now: () => performance.now(),
      backplane: await this.backplane(leaseMs),
      limits,
      ...(wallClock ? { wallClock } : {}),
    });
    this.chats.push(chat);
    return chat;
  }

  /** Shut every chat down and remove the store. */
  async close(): Promise<void> {
    await Promise.all(this.chats.map((c) => c.shutdown()));
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** A member that keeps every event it gets. */
export interface Listener {
  readonly member: Member;
  readonly events: ChatEvent[];
  /** Wait (bounded) for an event that matches. */
  until(match: (e: ChatEvent) => boolean, ms?: number): Promise<ChatEvent>;
}

/** Join `name` to `room` on `chat` and record what it hears. */
export async function listen(
  chat: Chat,
  name: string,
  room = "lobby",
): Promise<Listener> {
  const events: ChatEvent[] = [];
  const waiters = new Set<() => void>();
  const member = await addMember(chat, {
    name,
    room,
    onEvent: (e) => {
      events.push(e);
      for (const w of [...waiters]) w();
    },
  });
  return {
    member,
    events,
    until(match, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching event within ${ms} ms; got ${
                JSON.stringify(events)
              }`,
            ),
          );
        }, ms);
        if (!check()) waiters.add(check);
      });
    },
  };
}
