// Nodes for the Redis backplane tests: chats with real RedisBackplanes on a
// private redis-server (tests/_redis.ts), in-memory members, and waits.

import { RedisBackplane } from "../../../adapters/redis/backplane.ts";
import { Chat, type LogRecord } from "../../../core/chat.ts";
import type { ChatEvent } from "../../../core/events.ts";
import type { Session } from "../../../core/session.ts";
import { FakeClock, FakePeer } from "../../core/_peers.ts";
import type { RedisServer } from "../../_redis.ts";

/** Short lease, for tests of reaping: a node is declared lost within 1 s. */
export const LEASE = 1000;
/**
 * Lease of the other tests: long enough that a test process paused by a
 * loaded machine (tests run in parallel) is not declared lost.
 */
export const SAFE_LEASE = 4000;

/** A chat on a RedisBackplane, with its log. */
export interface Node {
  chat: Chat;
  bp: RedisBackplane;
  logs: LogRecord[];
}

/** A node: a chat on a RedisBackplane to `redis`. */
export async function node(
  redis: RedisServer,
  leaseMs = SAFE_LEASE,
): Promise<Node> {
  const logs: LogRecord[] = [];
  const log = (r: LogRecord) => logs.push(r);
  const bp = await RedisBackplane.connect({ url: redis.url, leaseMs, log });
  const chat = new Chat({ now: new FakeClock().now, backplane: bp, log });
  return { chat, bp, logs };
}

/** An in-memory member of a node. */
export interface Conn {
  peer: FakePeer;
  session: Session;
}

/** Join a room on a node; waits for the answer. */
export async function join(
  n: Node,
  name: string,
  room = "lobby",
): Promise<Conn> {
  const peer = new FakePeer();
  const session = n.chat.connect(peer, { transport: "memory" });
  session.handle({ type: "join", room, name });
  await waitFor(() => peer.events.length > 0, `${name} answered`);
  return { peer, session };
}

/** Poll until `done`, at most `ms`. */
export async function waitFor(
  done: () => boolean | Promise<boolean>,
  what: string,
  ms = 8000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A check that a peer got an event with these fields. */
export function has(
  peer: FakePeer,
  match: Partial<Record<string, unknown>>,
): () => boolean {
  return () =>
    peer.events.some((e) =>
      Object.entries(match).every(([k, v]) =>
        (e as unknown as Record<string, unknown>)[k] === v
      )
    );
}

/** The events of one type a peer got. */
export function of(peer: FakePeer, type: ChatEvent["type"]): ChatEvent[] {
  return peer.events.filter((e) => e.type === type);
}

/** A name list, sorted. */
export async function sorted(
  list: readonly string[] | Promise<readonly string[]>,
): Promise<string[]> {
  return [...await list].sort();
}
