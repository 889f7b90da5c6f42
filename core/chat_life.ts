/**
 * A chat node's sessions over its life, on the state core/chat.ts keeps
 * (core/chat_state.ts): a connection admitted (or refused: full, shutting
 * down), time applied (join and idle timeouts, the end of grace periods), a
 * name the cluster gave to another node, and the shutdown. How one session
 * ends is core/session_life.ts.
 *
 * @module
 */

import { type ChatState, countConnections } from "./chat_state.ts";
import { expireDetached } from "./resumption.ts";
import type { Session } from "./session.ts";

/**
 * @internal Count a new session in, and fail it at once when the chat is
 * full or shutting down (the peer gets a fatal error and is closed).
 *
 * @param state The chat's state.
 * @param session The new session.
 */
export function admit(state: ChatState, session: Session): void {
  state.sessions.add(session);
  state.unjoined.add(session);
  if (session.idleTimeoutMs > 0) state.idle.add(session);
  const count = state.stats.connections.get(session.transport) ?? 0;
  state.stats.connections.set(session.transport, count + 1);
  state.log({
    event: "connect",
    session: session.id,
    transport: session.transport,
    remote: session.remote,
  });
  if (state.closing) {
    session.fail(
      "SHUTTING_DOWN",
      "Cannot connect: the server is shutting down",
    );
  } else if (overLimit(state)) {
    session.fail(
      "SERVER_FULL",
      `Cannot connect: the server has ${state.limits.maxConnections} connections`,
    );
  }
}

/**
 * @internal Count a connection a transport holds without a session against
 * the limit, until the returned function is called (once).
 *
 * @param state The chat's state.
 * @returns Give the place back.
 */
export function hold(state: ChatState): () => void {
  state.held++;
  countConnections(state);
  let held = true;
  return () => {
    if (held) {
      state.held--;
      countConnections(state);
    }
    held = false;
  };
}

/**
 * Whether this node's connections, with the other nodes' that share its
 * limit (the backplane's `shareConnections`), are over it.
 */
function overLimit(state: ChatState): boolean {
  const { own, elsewhere } = countConnections(state);
  return own + elsewhere > state.limits.maxConnections;
}

/**
 * @internal Apply time: close connections that did not join in time, remove
 * members silent for longer than their idle timeout, and end the grace
 * period of members whose connection went away.
 *
 * @param state The chat's state.
 */
export function applyTime(state: ChatState): void {
  const now = state.now();
  for (const s of state.unjoined) {
    if (now - s.waitingSince >= state.limits.joinTimeoutMs) {
      s.fail(
        "JOIN_TIMEOUT",
        `Cannot wait any longer: no JOIN within ${state.limits.joinTimeoutMs} ms`,
      );
    }
  }
  for (const s of state.idle) {
    if (now - s.lastSeen >= s.idleTimeoutMs) s.drop("timeout");
  }
  expireDetached(state);
}

/**
 * @internal The cluster gave a name this node held to another node (found
 * after an outage): the local member is told why and removed. Its leave
 * reaches this node's members only; the cluster's holder of the name stays.
 *
 * @param state The chat's state.
 * @param roomName The room.
 * @param key The name's key.
 */
export function loseName(
  state: ChatState,
  roomName: string,
  key: string,
): void {
  const session = state.rooms.get(roomName)?.get(key);
  if (session === undefined || state.closing) return;
  state.log({
    event: "name_lost",
    session: session.id,
    room: roomName,
    name: session.name,
  });
  session.error(
    "NAME_TAKEN",
    `Cannot keep name "${session.name}" in room "${roomName}": another member took it while this server was cut off from the cluster`,
  );
  state.orphans.add(session);
  session.drop("node_lost");
}

/**
 * @internal Tell every member the server is shutting down (a `left` event
 * with reason `shutdown` for their own name), close every connection and
 * leave the cluster. New connections are refused from now on.
 *
 * @param state The chat's state.
 */
export async function shutDown(state: ChatState): Promise<void> {
  if (state.closing) return;
  state.closing = true;
  state.log({ event: "shutdown", sessions: state.sessions.size });
  for (const s of [...state.sessions]) {
    const m = s.membership;
    s.shutdown();
    // Local members were each told above; other nodes hear it once here.
    if (m) {
      state.backplane.publish({
        type: "left",
        room: m.room,
        name: m.name,
        reason: "shutdown",
      });
    }
  }
  state.rooms.clear();
  // Members that left a moment ago are told once their names are free.
  await Promise.all(state.releasing);
  await state.backplane.close();
}
