/**
 * Fan-out: one shared event to the local members of its room (of every room,
 * for an announcement to all), counted in the chat's totals, then shown to
 * the chat's observers. The event is encoded once per fan-out, however many
 * members get it ({@link Outgoing}).
 *
 * @module
 */

import type { ChatState } from "./chat_state.ts";
import type { RoomEvent } from "./events.ts";
import type { HistoryEntry } from "./history.ts";
import { Outgoing } from "./peer.ts";
import type { Room } from "./room.ts";
import type { Session } from "./session.ts";

/**
 * Give an event to the local members of its room, or of every room for an
 * announcement to all, and tell the observers.
 *
 * @param state The chat's state.
 * @param event The event.
 * @param out The event, shared by every recipient (made when not given).
 * @returns Rooms and members reached.
 */
export function fanoutLocal(
  state: ChatState,
  event: RoomEvent,
  out: Outgoing = new Outgoing(event),
): { rooms: number; delivered: number } {
  let rooms = 0, delivered = 0;
  if (event.type === "announcement" && event.room === null) {
    for (const room of [...state.rooms.values()]) {
      rooms++;
      delivered += fanout(state, room, out);
    }
  } else {
    const room = state.rooms.get(event.room ?? "");
    if (room) {
      rooms++;
      delivered += fanout(state, room, out);
    }
  }
  notify(state, event);
  return { rooms, delivered };
}

/**
 * Another node's event: to this node's members of its room, and, when this
 * node keeps its own histories (a backplane without a shared store), into
 * the room's history.
 *
 * @param state The chat's state.
 * @param event The event.
 * @param out The event as it came, with its encoding.
 * @returns Rooms and members reached on this node.
 */
export function receiveRemote(
  state: ChatState,
  event: RoomEvent,
  out?: Outgoing,
): { rooms: number; delivered: number } {
  const reached = fanoutLocal(state, event, out);
  if (
    state.localHistory && state.historyBounds.length > 0 &&
    (event.type === "message" || event.type === "announcement")
  ) {
    const entry: HistoryEntry = {
      time: Math.round(state.wallClock()),
      event,
      ...(out ? { out } : {}),
    };
    state.history.append(event.room, entry, state.historyBounds);
  }
  return reached;
}

/**
 * Fan out to one room and count: deliveries, drops, and messages out.
 *
 * @param state The chat's state.
 * @param room The room.
 * @param out The event, shared by every recipient.
 * @param except The member not to give it to (its sender).
 * @returns How many members took the event.
 */
export function fanout(
  state: ChatState,
  room: Room<Session>,
  out: Outgoing,
  except?: Session,
): number {
  const expected = room.size - (except === undefined ? 0 : 1);
  const delivered = room.fanout(out, except);
  state.stats.deliveries += delivered;
  state.stats.dropped += Math.max(0, expected - delivered);
  if (out.event.type === "message") state.stats.messagesOut += delivered;
  return delivered;
}

/**
 * Show an event to every observer of the chat.
 *
 * @param state The chat's state.
 * @param event The event.
 */
export function notify(state: ChatState, event: RoomEvent): void {
  for (const o of state.observers) o(event);
}
