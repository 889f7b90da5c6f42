/**
 * In-process members: a bot or a test joins a chat with no socket at all.
 *
 * @module
 */

import type { Chat } from "./chat.ts";
import type { ChatEvent } from "./events.ts";
import type { Outgoing } from "./peer.ts";
import type { Session } from "./session.ts";

/** Options of {@link addMember}. */
export interface MemberOptions {
  /** The member's name. */
  name: string;
  /** Room to join. @default {"lobby"} */
  room?: string;
  /** Receives every event sent to the member (welcome, messages, ...). */
  onEvent?: (event: ChatEvent) => void;
}

/** A member living in the same process as the chat. */
export interface Member {
  /** The session behind the member. */
  readonly session: Session;
  /** Say something to the member's room. */
  say(text: string): void;
  /** Move to another room. */
  join(room: string): void;
  /** Ask for the member list of the current room (answered as a `members` event). */
  who(): void;
  /** Leave the chat. */
  leave(): void;
}

/**
 * Add a member with no socket, and wait for the answer to its JOIN.
 *
 * @param chat The chat.
 * @param options Name, room and event handler.
 * @returns The member, once it is in the room.
 * @throws {Error} With `code` set (NAME_TAKEN, ...) when the join is refused.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Chat } from "./chat.ts";
 * const chat = new Chat({ now: () => 0 });
 * const heard: string[] = [];
 * await addMember(chat, {
 *   name: "echo-bot",
 *   onEvent: (e) => { if (e.type === "message") heard.push(e.text); },
 * });
 * const amy = await addMember(chat, { name: "amy" });
 * amy.say("hello");
 * assert.deepEqual(heard, ["hello"]);
 * ```
 */
export function addMember(chat: Chat, options: MemberOptions): Promise<Member> {
  const room = options.room ?? "lobby";
  return new Promise((resolve, reject) => {
    let joined = false;
    const session = chat.connect({
      send(out: Outgoing) {
        const event = out.event;
        if (!joined) {
          if (event.type === "welcome") {
            joined = true;
            resolve(member);
          } else if (event.type === "error") {
            reject(
              Object.assign(new Error(event.message), { code: event.code }),
            );
            session.close();
            return true;
          }
        }
        options.onEvent?.(event);
        return true;
      },
      close() {},
    }, { transport: "memory" });
    const member: Member = {
      session,
      say: (text) => session.handle({ type: "say", text }),
      join: (to) =>
        session.handle({ type: "join", room: to, name: session.name }),
      who: () => session.handle({ type: "who", room: "" }),
      leave: () => session.handle({ type: "leave" }),
    };
    session.handle({ type: "join", room, name: options.name });
  });
}
