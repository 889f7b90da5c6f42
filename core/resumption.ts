/**
 * Resume: a member whose connection went away keeps its name and room for
 * a grace period ("detached"), and a new connection, on any transport,
 * takes its place with its resume token, getting the events it missed. The
 * room sees nothing unless the grace period runs out. A member held by
 * another node is handed over through the backplane
 * ({@link Backplane.handOver}). docs/protocol.md, "History and resume", is
 * the spec.
 *
 * @module
 */

import type { HandOff, HandOffHandler } from "./backplane.ts";
import { tokenTag } from "./backplane.ts";
import type { Membership } from "./chat_internals.ts";
import type { ChatState } from "./chat_state.ts";
import type { Refusal } from "./errors.ts";
import type { MemoryHistory } from "./history.ts";
import { Room } from "./room.ts";
import { SentLog } from "./sent_log.ts";
import type { Session } from "./session.ts";
import { greet } from "./welcome.ts";

/** Random bytes in a resume token (144 bits, 24 base64url characters). */
const TOKEN_BYTES = 18;

/**
 * A new resume token: this node's tag, a dot, and random bytes in base64url.
 *
 * @param state The chat's state.
 * @returns The token.
 */
export function newToken(state: ChatState): string {
  const bytes = new Uint8Array(TOKEN_BYTES);
  state.random(bytes);
  const b64 = btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-").replaceAll("/", "_");
  return `${state.tag}.${b64}`;
}

/**
 * Register a session's resume token (`given`, or a new one).
 *
 * @param state The chat's state.
 * @param session The member.
 * @param given The token its transport made for it, if any.
 * @returns The token.
 */
export function registerToken(
  state: ChatState,
  session: Session,
  given: string | undefined,
): string {
  const token = given ?? newToken(state);
  state.tokens.set(token, session);
  return token;
}

/**
 * A member's connection went away: it no longer counts as a connection of
 * its transport nor idles out, and its grace period runs from now.
 *
 * @param state The chat's state.
 * @param session The member.
 * @param reason Why (its leave's reason if it never comes back).
 */
export function detach(
  state: ChatState,
  session: Session,
  reason: "disconnect" | "timeout",
): void {
  state.detached.add(session);
  state.idle.delete(session);
  const count = (state.stats.connections.get(session.transport) ?? 1) - 1;
  state.stats.connections.set(session.transport, count);
  state.log({
    event: "detach",
    session: session.id,
    room: session.room,
    name: session.name,
    reason,
  });
}

/**
 * End the members whose grace period is over: each leaves with the reason
 * its connection went away for.
 *
 * @param state The chat's state.
 */
export function expireDetached(state: ChatState): void {
  const now = state.now();
  for (const s of state.detached) {
    if (now - (s.detachedAt ?? now) >= state.limits.resumeGraceMs) s.expire();
  }
}

/**
 * RESUME: take the place of the member holding `token`, here or (through
 * the backplane) on another node, and welcome the session with the events
 * after number `seen`.
 *
 * @param state The chat's state.
 * @param session The session that sent RESUME (in no room).
 * @param token The resume token.
 * @param seen The number of the last event its client received.
 * @returns The member's place, or a refusal.
 */
export function resume(
  state: ChatState,
  session: Session,
  token: string,
  seen: number,
): Membership | Refusal | Promise<Membership | Refusal> {
  const refused: Refusal = {
    code: "RESUME_FAILED",
    message:
      "Cannot resume: no session has this token (its grace period may be over)",
  };
  if (state.closing) {
    return {
      code: "SHUTTING_DOWN",
      message: "Cannot resume: the server is shutting down",
    };
  }
  const old = state.tokens.get(token);
  if (old !== undefined && old !== session) {
    const taken = old.handOff();
    if (taken === undefined) return refused;
    const m = taken.membership;
    place(state, session, m);
    session.adopt(token, taken.log);
    state.tokens.set(token, session);
    state.log({
      event: "resume",
      session: session.id,
      from: old.id,
      room: m.room,
      name: m.name,
    });
    greet(state, session, m, { kind: "resume", replay: taken.log.after(seen) });
    return m;
  }
  // A token of this node's own may name a member handed over to another
  // node since: the backplane finds it (or says nobody has it).
  const bp = state.backplane;
  if (
    old !== undefined || bp.handOver === undefined || tokenTag(token) === ""
  ) return refused;
  const adopt = (h: HandOff | undefined): Membership | Refusal => {
    if (h === undefined) return refused;
    const m: Membership = { room: h.room, name: h.name, key: h.key };
    place(state, session, m);
    const log = new SentLog({
      events: state.limits.replayEvents,
      bytes: state.limits.outboundBytes,
    }, h.seq);
    for (const out of h.events) log.record(out);
    session.adopt(token, log);
    state.tokens.set(token, session);
    state.log({
      event: "resume",
      session: session.id,
      from: "cluster",
      room: m.room,
      name: m.name,
    });
    greet(state, session, m, {
      kind: "resume",
      replay: { seq: h.seq, lost: h.lost, events: h.events },
    });
    return m;
  };
  const answer = bp.handOver({ token, seen });
  return answer instanceof Promise ? answer.then(adopt) : adopt(answer);
}

/** Put a resumed member in its room, in place of whoever held its key. */
function place(state: ChatState, session: Session, m: Membership): void {
  let room = state.rooms.get(m.room);
  if (room === undefined) {
    room = new Room(m.room);
    state.rooms.set(m.room, room);
  }
  room.add(m.key, session);
  state.unjoined.delete(session);
}

/**
 * This node's side of hand-overs: find a member by token, and give it up
 * to the node where it resumes (its claim already moved there).
 *
 * @param state The chat's state.
 * @returns The handler to give the backplane.
 */
export function handOffHandler(state: ChatState): HandOffHandler {
  return {
    find(token) {
      const m = state.tokens.get(token)?.membership;
      return m && { room: m.room, key: m.key, name: m.name };
    },
    take(token, seen): HandOff | undefined {
      const session = state.tokens.get(token);
      const taken = session?.handOff();
      if (session === undefined || taken === undefined) return undefined;
      state.tokens.delete(token);
      const m = taken.membership;
      const room = state.rooms.get(m.room);
      if (room?.remove(m.key, session) && room.size === 0) {
        state.rooms.delete(m.room);
        if (state.localHistory) (state.history as MemoryHistory).drop(m.room);
      }
      state.log({
        event: "hand_off",
        session: session.id,
        room: m.room,
        name: m.name,
      });
      const replay = taken.log.after(seen);
      return { ...m, ...replay };
    },
  };
}
