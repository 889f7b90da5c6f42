/**
 * Membership: what a chat does when its sessions join, enter, leave, speak,
 * ask who is in a room, and go away. Names are claimed in the backplane, so
 * a name is taken cluster-wide; rooms and fan-out are local to the node.
 *
 * @module
 */

import type { Roster } from "./backplane.ts";
import type { ChatInternals, Membership } from "./chat_internals.ts";
import { type ChatState, countConnections } from "./chat_state.ts";
import type { Refusal } from "./errors.ts";
import type { RoomEvent } from "./events.ts";
import { fanout, notify } from "./fanout.ts";
import type { MemoryHistory } from "./history.ts";
import { checkName, checkRoom } from "./names.ts";
import { Outgoing } from "./peer.ts";
import { detach, registerToken, resume } from "./resumption.ts";
import { Room } from "./room.ts";
import type { Session } from "./session.ts";
import { greet, recall, rosterOf } from "./welcome.ts";

export { ROSTER_MAX } from "./welcome.ts";

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
      session.entering();
      greet(state, session, m, { kind: "enter" });
    },
    welcome: (session, m) => greet(state, session, m, { kind: "again" }),
    recall: (session, m) => recall(state, session, m.room),
    leave: (session, m, reason) => {
      const room = rooms.get(m.room);
      if (room === undefined || !room.remove(m.key, session)) return;
      // An orphan's name belongs to another node now: its leave is local.
      const orphan = state.orphans.has(session);
      const released = orphan ? undefined : backplane.release(m.room, m.key);
      if (released) {
        state.releasing.add(released);
        const done = () => void state.releasing.delete(released);
        released.then(done, done);
      }
      if (room.size === 0) {
        rooms.delete(m.room);
        if (state.localHistory) (state.history as MemoryHistory).drop(m.room);
      }
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
      return released;
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
      if (state.historyBounds.length > 0) {
        const time = Math.round(state.wallClock());
        state.history.append(m.room, { time, event, out }, state.historyBounds);
      }
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
      const token = session.token;
      if (token !== undefined && state.tokens.get(token) === session) {
        state.tokens.delete(token);
      }
      if (!state.sessions.delete(session)) return;
      countConnections(state);
      state.unjoined.delete(session);
      state.idle.delete(session);
      // A detached member's connection was counted out already.
      if (!state.detached.delete(session)) {
        const count = (stats.connections.get(session.transport) ?? 1) - 1;
        stats.connections.set(session.transport, count);
      }
      state.log({ event: "disconnect", session: session.id, reason });
    },
    get closing() {
      return state.closing;
    },
    token: (session, given) => registerToken(state, session, given),
    detach: (session, reason) => detach(state, session, reason),
    resume: (session, token, seen) => resume(state, session, token, seen),
  };
  return internals;
}
