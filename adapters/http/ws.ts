/**
 * `GET /api/ws`: a chat session over a WebSocket. Client messages are the
 * core's commands as JSON text (`{"type":"join","room":"lobby","name":"bob"}`)
 * or, in the binary subprotocol, binary frames as on TCP (docs/protocol.md);
 * server messages are the events in the subprotocol's encoding
 * (adapters/http/ws_protocol.ts), sent by adapters/http/ws_sink.ts. A
 * session made by `POST .../sessions`, or a member in its grace period, is
 * picked up by its token, sent in the first message
 * (`{"type":"auth","token":"..."}`) or as the subprotocol
 * `roomcast.token.<token>`, never in the URL; a `resume` command takes any
 * member back, as on every transport. This file upgrades the request and,
 * with several isolates, relays a socket whose session another isolate
 * holds (adapters/http/ws_relay.ts); the session itself is
 * adapters/http/ws_connection.ts.
 *
 * @module
 */

import type { HttpHub } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import type { NativeUpgrade } from "./ws_handshake.ts";
import { badToken } from "./session_token.ts";
import { pickWsProtocol, WS_PROTOCOL, WS_TOKEN_PREFIX } from "./ws_protocol.ts";
import { WsConnection } from "./ws_connection.ts";
import { type RelayedOpen, type RelayedSocket, WsRelay } from "./ws_relay.ts";

export { WS_PROTOCOL, WS_TOKEN_PREFIX };

/**
 * Upgrade a request to a WebSocket chat session.
 *
 * @param hub The HTTP hub.
 * @param request The upgrade request.
 * @param remote Remote address for logs.
 * @param abort Cuts the client's connection at once (the HTTP front).
 * @param native The front's own upgrade, when it took the request
 *   (adapters/http/ws_handshake.ts); else Deno's.
 * @returns The 101 response.
 * @throws {HttpProblem} 426 without an upgrade, 404 for an unknown token.
 */
export async function upgradeToWebSocket(
  hub: HttpHub,
  request: Request,
  remote?: string,
  abort?: () => void,
  native?: NativeUpgrade,
): Promise<Response> {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpProblem(
      426,
      "UPGRADE_REQUIRED",
      "Cannot open a chat session: this endpoint speaks WebSocket only",
      { upgrade: "websocket" },
    );
  }
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((p) => p.trim()).filter((p) => p !== "");
  const tokenProtocol = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX));
  let token: string | undefined;
  let home: string | undefined;
  if (tokenProtocol !== undefined) {
    token = tokenProtocol.slice(WS_TOKEN_PREFIX.length);
    // With several isolates the session may be another one's.
    home = await homeOf(hub, token);
    if (home === undefined && !hub.known(token)) {
      throw new HttpProblem(
        404,
        "BAD_TOKEN",
        "Cannot find session: the token is unknown or the session ended",
      );
    }
  }
  // The server answers one of the protocols offered: the token's when the
  // client offered no other.
  const picked = pickWsProtocol(offered);
  const protocol = picked.protocol ?? tokenProtocol;
  const { socket, response } = native !== undefined
    ? native(protocol)
    : Deno.upgradeWebSocket(request, {
      ...(protocol ? { protocol } : {}),
      idleTimeout: Math.max(1, Math.round(hub.limits.wsIdleMs / 1000)),
    });
  if (home !== undefined) {
    relayOf(hub)!.relay(socket, home, {
      token,
      first: undefined,
      remote,
      encoding: picked.encoding,
    });
    return response;
  }
  new WsConnection({
    hub,
    socket,
    token,
    remote,
    abort,
    encoding: picked.encoding,
    ...handOverOf(hub, socket),
  });
  return response;
}

/**
 * The isolate that holds a token's session when it is another one; throws
 * 401 BAD_TOKEN for a forged or expired token and 404 when the home is gone.
 */
async function homeOf(
  hub: HttpHub,
  token: string,
): Promise<string | undefined> {
  const place = hub.locate(token);
  if (place === "here") return undefined;
  if (typeof place === "string") throw badToken(place);
  const home = hub.isolates!.isolateOf(place.home);
  if (home === undefined || !(await hub.isolates!.alive(home))) {
    throw new HttpProblem(
      404,
      "BAD_TOKEN",
      "Cannot find session: the token is unknown or the session ended",
    );
  }
  return home;
}

const relays = new WeakMap<HttpHub, WsRelay>();

/**
 * The relay of WebSockets between this hub's isolate and the others (made
 * on first use; undefined with one isolate).
 *
 * @param hub The hub.
 * @returns The relay, or undefined.
 */
export function relayOf(hub: HttpHub): WsRelay | undefined {
  if (hub.isolates === undefined) return undefined;
  let relay = relays.get(hub);
  if (relay === undefined) {
    relay = new WsRelay(hub.isolates, (s, o) => acceptRelayed(hub, s, o));
    relays.set(hub, relay);
  }
  return relay;
}

/**
 * Settles once the hub's relayed sockets are gone (or after `ms`; at once
 * when it relays none).
 *
 * @param hub The hub.
 * @param ms The longest wait.
 * @returns When settled.
 */
export function relaysSettled(hub: HttpHub, ms: number): Promise<void> {
  return relays.get(hub)?.settled(ms) ?? Promise.resolve();
}

/** On the home isolate: a session on a socket another isolate holds. */
function acceptRelayed(
  hub: HttpHub,
  socket: RelayedSocket,
  open: RelayedOpen,
): void {
  new WsConnection({
    hub,
    socket: socket as unknown as WebSocket,
    token: open.token,
    remote: open.remote,
    encoding: open.encoding,
  });
}

/** With several isolates: how a socket is handed over to another one. */
function handOverOf(
  hub: HttpHub,
  socket: WebSocket,
): { handOver?: (tag: string, open: RelayedOpen) => void } {
  const relay = relayOf(hub);
  const link = hub.isolates;
  if (relay === undefined || link === undefined) return {};
  return {
    handOver: (tag, open) => {
      const home = link.isolateOf(tag);
      if (home !== undefined) relay.relay(socket, home, open);
      else socket.close(1008, "BAD_TOKEN");
    },
  };
}
