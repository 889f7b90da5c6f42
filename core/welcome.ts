/**
 * Welcoming a member: its WELCOME (the room's roster, from the cluster),
 * then what comes right after it: the room's history for a member who just
 * entered, or the events it missed for a member who resumed. Both may need
 * the cluster; whatever reaches the member meanwhile waits for them.
 *
 * @module
 */

import type { Roster } from "./backplane.ts";
import type { Membership } from "./chat_internals.ts";
import type { ChatState } from "./chat_state.ts";
import type { WelcomeEvent } from "./events.ts";
import { type HistoryEntry, historyOutgoing } from "./history.ts";
import type { Replay } from "./sent_log.ts";
import type { Session } from "./session.ts";

/**
 * Most member names listed in a WELCOME or MEMBERS answer when the backplane
 * can cut the list short ({@link Backplane.roster}); `total` still counts
 * every member.
 */
export const ROSTER_MAX = 1000;

/** What follows a WELCOME. */
export type Greeting =
  /** The member entered the room: the room's history. */
  | { readonly kind: "enter" }
  /** The member asked again for the room it is in: nothing. */
  | { readonly kind: "again" }
  /** The member resumed: the events it missed. */
  | { readonly kind: "resume"; readonly replay: Replay };

/**
 * Send a member its WELCOME and what follows it.
 *
 * @param state The chat's state.
 * @param session The member.
 * @param m Its place.
 * @param greeting What follows the WELCOME.
 */
export function greet(
  state: ChatState,
  session: Session,
  m: Membership,
  greeting: Greeting,
): void {
  const roster = rosterOf(state, m.room);
  const past = greeting.kind === "enter" ? historyOf(state, m.room) : [];
  const replay = greeting.kind === "resume" ? greeting.replay : undefined;
  const done = ({ names, total }: Roster, entries: readonly HistoryEntry[]) => {
    const welcome: WelcomeEvent = {
      type: "welcome",
      room: m.room,
      name: m.name,
      // A cut-short list still names the member itself.
      members: names.includes(m.name) ? names : [m.name, ...names],
      total: Math.max(total, 1),
    };
    session.greet(welcome, entries.map(historyOutgoing), replay);
  };
  if (roster instanceof Promise || past instanceof Promise) {
    // Already in the room: what reaches it meanwhile waits for this.
    session.hold();
    const alone: Roster = { names: [m.name], total: 1 };
    Promise.all([
      Promise.resolve(roster).catch(() => alone),
      Promise.resolve(past).catch(() => []),
    ]).then(([r, p]) => done(r, p));
  } else done(roster, past);
}

/**
 * Send a member its room's history again (RECALL).
 *
 * @param state The chat's state.
 * @param session The member.
 * @param room Its room.
 */
export function recall(state: ChatState, session: Session, room: string): void {
  const send = (entries: readonly HistoryEntry[]) => {
    for (const e of entries) {
      if (!session.deliver(historyOutgoing(e))) {
        session.drop("slow_consumer");
        return;
      }
    }
  };
  const past = historyOf(state, room);
  if (past instanceof Promise) {
    past.then(send, () =>
      session.error(
        "UNAVAILABLE",
        "Cannot show history: the cluster did not answer",
      ));
  } else send(past);
}

/**
 * A room's history within the limits (none when history is off).
 *
 * @param state The chat's state.
 * @param room Canonical room name.
 * @returns The entries, oldest first, now or from the cluster.
 */
export function historyOf(
  state: ChatState,
  room: string,
): readonly HistoryEntry[] | Promise<readonly HistoryEntry[]> {
  if (state.historyBounds.length === 0) return [];
  return state.history.recent(room, state.historyBounds);
}

/**
 * At most {@link ROSTER_MAX} names of a room, and its member count.
 *
 * @param state The chat's state.
 * @param room Canonical room name.
 * @returns The roster, now or from the cluster.
 */
export function rosterOf(
  state: ChatState,
  room: string,
): Roster | Promise<Roster> {
  const bp = state.backplane;
  if (bp.roster) return bp.roster(room, ROSTER_MAX);
  const list = bp.members(room);
  const roster = (names: readonly string[]) => ({
    names,
    total: names.length,
  });
  return list instanceof Promise ? list.then(roster) : roster(list);
}
