/**
 * Announcements: the administrator speaks to one room or to every room, on
 * every node of the cluster.
 *
 * @module
 */

import type { ChatState } from "./chat_state.ts";
import type { Refusal } from "./errors.ts";
import type { RoomEvent } from "./events.ts";
import { fanoutLocal } from "./fanout.ts";
import { checkRoom } from "./names.ts";
import { Outgoing } from "./peer.ts";

/** What an announcement reached on this node. */
export type AnnounceResult =
  | { readonly ok: true; readonly rooms: number; readonly delivered: number }
  | ({ readonly ok: false } & Refusal);

/**
 * Speak as the administrator to one room or every room, on every node.
 *
 * @param state The chat's state.
 * @param text What to say.
 * @param room One room, or every room when omitted.
 * @returns Rooms and members reached on this node, or a refusal.
 */
export function announce(
  state: ChatState,
  text: string,
  room?: string,
): AnnounceResult {
  return announceEvent(state, text, room).result;
}

/**
 * Announce, and count what every node reached when the backplane can tell
 * (`Backplane.tally`): rooms cluster-wide, members on every node that
 * answered. Without a tally, the same as {@link announce}.
 *
 * @param state The chat's state.
 * @param text What to say.
 * @param room One room, or every room when omitted.
 * @returns Rooms and members reached, or a refusal.
 */
export async function announceCounted(
  state: ChatState,
  text: string,
  room?: string,
): Promise<AnnounceResult> {
  const { result, event } = announceEvent(state, text, room);
  const tally = state.backplane.tally;
  if (!result.ok || event === undefined || tally === undefined) return result;
  const elsewhere = await tally.call(state.backplane, event);
  return {
    ok: true,
    rooms: Math.max(result.rooms, elsewhere.rooms),
    delivered: result.delivered + elsewhere.delivered,
  };
}

/** Announce; the event too, when it was made. */
function announceEvent(
  state: ChatState,
  text: string,
  room?: string,
): { result: AnnounceResult; event?: RoomEvent } {
  if (text.trim() === "") {
    return {
      result: {
        ok: false,
        code: "MESSAGE_EMPTY",
        message: "Cannot announce: text is empty",
      },
    };
  }
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > state.limits.maxMessageBytes) {
    return {
      result: {
        ok: false,
        code: "MESSAGE_TOO_LONG",
        message:
          `Cannot announce: ${bytes} bytes exceeds the limit of ${state.limits.maxMessageBytes}`,
      },
    };
  }
  let target: string | null = null;
  if (room !== undefined) {
    const r = checkRoom(room);
    if (!r.ok) {
      return { result: { ok: false, code: r.code, message: r.message } };
    }
    target = r.name;
  }
  const event: RoomEvent = { type: "announcement", room: target, text };
  state.stats.announcements++;
  const out = new Outgoing(event);
  state.backplane.publish(event, out);
  state.log({ event: "announce", room: target, text });
  const reached = fanoutLocal(state, event, out);
  if (state.historyBounds.length > 0) {
    const time = Math.round(state.wallClock());
    state.history.append(target, { time, event, out }, state.historyBounds);
  }
  return { result: { ok: true, ...reached }, event };
}
