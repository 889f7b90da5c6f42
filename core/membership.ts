/**
 * Membership: what a chat does when its sessions join, enter, leave, speak,
 * ask who is in a room, and go away. Names are claimed in the backplane, so
 * a name is taken cluster-wide; rooms and fan-out are local to the node.
 *
 * @module
 */

import type { Roster } from "./backplane.ts";
import type { ChatInternals, Membership } from "./chat_internals.ts";
import type { ChatState } from "./chat_state.ts";
import type { Refusal } from "./errors.ts";
import type { ChatEvent, RoomEvent } from "./events.ts";
import { fanout, notify } from "./fanout.ts";
import { checkName, checkRoom } from "./names.ts";
import { Outgoing } from "./peer.ts";
import { Room } from "./room.ts";
import type { Session } from "./session.ts";

/**
 * Most member names listed in a WELCOME or MEMBERS answer when the backplane
 * can cut the list short ({@link Backplane.roster}); `total` still counts
 * every member.
 */
export const ROSTER_MAX = 1000;

/**
 * @internal What a chat does for its sessions ({@link ChatInternals}), on
 * the chat's state.
 *
 * @param state The chat's state.
 * @returns The chat's side of every session.
 */
export function makeInternals(state: ChatState): ChatInternals<Session> {
  const rooms = state.rooms;
  const backplane = state.backplane;
  const stats = state.stats;
  const internals: ChatInternals<Session> = {
    limits: state.limits,
    now: state.now,
    log: (record) => {
      if (record.event === "refused") {
        stats.refused++;
        if (record.quiet) return;
      }
      state.log(record);
    },
    join: (session, rawRoom, rawName) => {
      if (state.closing) {
        return {
          code: "SHUTTING_DOWN",
          message: "Cannot join: the server is shutting down",
        };
      }
      const room = checkRoom(rawRoom);
      if (!room.ok) return room;
      const check = checkName(rawName, state.limits.maxNameLength);
      if (!check.ok && check.lookalike === undefined) return check;
      // A look-alike of a member is told the name is taken (see lookalike).
      const name = check.ok ? check : check.lookalike!;
      const current = session.membership;
      if (current?.room === room.name && current.key === name.key) {
        return current;
      }
      const m: Membership = {
        room: room.name,
        name: name.name,
        key: name.key,
      };
      const taken: Refusal = {
        code: "NAME_TAKEN",
        message:
          `Cannot join room "${room.name}": name "${name.name}" is taken`,
      };
      const decide = (won: boolean): Membership | Refusal => {
        if (won && !check.ok) backplane.release(room.name, name.key);
        return !won ? taken : check.ok ? m : check;
      };
      const claim = backplane.claim(room.name, name.key, name.name);
      if (claim instanceof Promise) return claim.then(decide);
      return decide(claim);
    },
    enter: (session, m) => {
      let room = rooms.get(m.room);
      if (room === undefined) {
        room = new Room(m.room);
        rooms.set(m.room, room);
      }
      room.add(m.key, session);
      state.unjoined.delete(session);
      const event: RoomEvent = { type: "joined", room: m.room, name: m.name };
      state.log({
        event: "join",
        session: session.id,
        room: m.room,
        name: m.name,
      });
      const out = new Outgoing(event);
      fanout(state, room, out, session);
      backplane.publish(event, out);
      notify(state, event);
      internals.welcome(session, m);
    },
    welcome: (session, m) => {
      const roster = rosterOf(state, m.room);
      const welcome = ({ names, total }: Roster): ChatEvent => ({
        type: "welcome",
        room: m.room,
        name: m.name,
        // A cut-short list still names the member itself.
        members: names.includes(m.name) ? names : [m.name, ...names],
        total: Math.max(total, 1),
      });
      if (roster instanceof Promise) {
        // Already in the room: what reaches it meanwhile waits for this.
        session.hold();
        roster.then(
          (r) => session.unhold(welcome(r)),
          () => session.unhold(welcome({ names: [m.name], total: 1 })),
        );
      } else session.send(welcome(roster));
    },
    leave: (session, m, reason) => {
      const room = rooms.get(m.room);
      if (room === undefined || !room.remove(m.key, session)) return;
      // An orphan's name belongs to another node now: its leave is local.
      const orphan = state.orphans.has(session);
      if (!orphan) backplane.release(m.room, m.key);
      if (room.size === 0) rooms.delete(m.room);
      if (reason === "slow_consumer") stats.slowConsumers++;
      const event: RoomEvent = {
        type: "left",
        room: m.room,
        name: m.name,
        reason,
      };
      state.log({
        event: "leave",
        session: session.id,
        room: m.room,
        name: m.name,
        reason,
      });
      const out = new Outgoing(event);
      fanout(state, room, out);
      if (!orphan) backplane.publish(event, out);
      notify(state, event);
    },
    say: (session, m, text) => {
      const room = rooms.get(m.room);
      if (room === undefined) return;
      stats.messagesIn++;
      const event: RoomEvent = {
        type: "message",
        room: m.room,
        from: m.name,
        text,
      };
      const out = new Outgoing(event);
      fanout(state, room, out, session);
      backplane.publish(event, out);
      if (state.observers.size > 0) notify(state, event);
    },
    who: (session, rawRoom) => {
      const r = checkRoom(rawRoom);
      if (!r.ok) {
        session.error(r.code, r.message);
        return;
      }
      const send = ({ names, total }: Roster) =>
        session.send({
          type: "members",
          room: r.name,
          members: names,
          total,
        });
      const roster = rosterOf(state, r.name);
      if (roster instanceof Promise) {
        roster.then(
          send,
          () =>
            session.error(
              "UNAVAILABLE",
              "Cannot list members: the cluster did not answer",
            ),
        );
      } else send(roster);
    },
    forget: (session, m, reason) => {
      // Released even for a session already forgotten: a JOIN claim can
      // be won after its connection closed.
      if (m) backplane.release(m.room, m.key);
      if (!state.sessions.delete(session)) return;
      state.unjoined.delete(session);
      state.idle.delete(session);
      const count = (stats.connections.get(session.transport) ?? 1) - 1;
      stats.connections.set(session.transport, count);
      state.log({ event: "disconnect", session: session.id, reason });
    },
  };
  return internals;
}

/**
 * At most {@link ROSTER_MAX} names of a room, and its member count.
 *
 * @param state The chat's state.
 * @param room Canonical room name.
 * @returns The roster, now or from the cluster.
 */
function rosterOf(state: ChatState, room: string): Roster | Promise<Roster> {
  const bp = state.backplane;
  if (bp.roster) return bp.roster(room, ROSTER_MAX);
  const list = bp.members(room);
  const roster = (names: readonly string[]) => ({
    names,
    total: names.length,
  });
  return list instanceof Promise ? list.then(roster) : roster(list);
}
