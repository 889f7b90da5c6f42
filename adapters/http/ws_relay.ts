/**
 * A WebSocket for a session another isolate holds (its token in the
 * subprotocol or in the first `auth` message): the isolate the socket
 * reached keeps the socket and relays its messages, both ways, to the
 * session's home isolate, where a stand-in socket ({@link RelayedSocket})
 * runs the usual WebSocket session (adapters/http/ws.ts). The home sees the
 * stand-in's `bufferedAmount` as what the real socket has not sent plus
 * what is on the way, so a slow reader is still cut off there.
 *
 * @module
 */

import { until } from "./forward.ts";
import type { IsolateLink } from "./isolate_link.ts";
import type { WsEncoding } from "./ws_protocol.ts";

/** What the home needs to start a relayed socket's session. */
export interface RelayedOpen {
  /** A session token given in the subprotocol. */
  readonly token: string | undefined;
  /** The client's first message, already read (an `auth`). */
  readonly first: string | undefined;
  /** The client's address, for logs. */
  readonly remote: string | undefined;
  /** The subprotocol's encoding agreed with the client. */
  readonly encoding: WsEncoding;
}

/** Starts a session on a relayed socket (on the home isolate). */
export type AcceptRelayed = (socket: RelayedSocket, open: RelayedOpen) => void;

interface Open extends RelayedOpen {
  sid: number;
}

/**
 * The home's stand-in for a WebSocket that another isolate holds: the
 * part of the WebSocket API that a session uses.
 */
export class RelayedSocket {
  /** As WebSocket's: OPEN, then CLOSING once closed here, CLOSED at the end. */
  readyState: number = WebSocket.OPEN;
  /** Called with each client message. */
  onmessage: ((e: { data: unknown }) => void) | null = null;
  /** Called once the socket has closed. */
  onclose: (() => void) | null = null;
  /** Called once the socket is open (right after the session is set up). */
  onopen: (() => void) | null = null;
  /** Never called: errors close the socket. */
  onerror: (() => void) | null = null;
  /** Bytes on the way to the holder, not yet acknowledged. */
  unacked = 0;
  /** What the real socket had not sent, as the holder last said. */
  behind = 0;
  readonly #link: IsolateLink;
  readonly #holder: string;
  readonly #sid: number;

  /** @param link The isolates. @param holder Who holds the socket. @param sid Its number there. */
  constructor(link: IsolateLink, holder: string, sid: number) {
    this.#link = link;
    this.#holder = holder;
    this.#sid = sid;
  }

  /** Bytes sent and not yet written by the real socket. */
  get bufferedAmount(): number {
    return this.unacked + this.behind;
  }

  /** Send a message to the client. */
  send(data: string | Uint8Array): void {
    if (this.readyState !== WebSocket.OPEN) return;
    this.unacked += typeof data === "string" ? data.length : data.byteLength;
    this.#link.send(this.#holder, "ws.send", { sid: this.#sid, d: data });
  }

  /** Close the client's socket. */
  close(code?: number, reason?: string): void {
    if (this.readyState !== WebSocket.OPEN) return;
    this.readyState = WebSocket.CLOSING;
    this.#link.send(this.#holder, "ws.close", {
      sid: this.#sid,
      code: code ?? 1000,
      reason: reason ?? "",
    });
  }
}

/**
 * Both sides of relayed WebSockets for one isolate.
 *
 * @example
 * ```ts ignore
 * const relay = new WsRelay(link, (socket, open) => acceptRelayed(hub, socket, open));
 * relay.relay(socket, home, { token, first: undefined, remote });
 * ```
 */
export class WsRelay {
  readonly #link: IsolateLink;
  /** Real sockets this isolate holds for others, by number. */
  readonly #held = new Map<number, { socket: WebSocket; home: string }>();
  /** Stand-ins of sockets others hold for this isolate, by `holder:sid`. */
  readonly #standIns = new Map<string, RelayedSocket>();
  #next = 1;

  /**
   * Settles once no socket is relayed either way, or after `ms`: at
   * shutdown, the goodbyes of members whose sockets cross isolates get
   * through before the process exits.
   *
   * @param ms The longest wait.
   * @returns When settled.
   */
  settled(ms: number): Promise<void> {
    return until(() => this.#held.size === 0 && this.#standIns.size === 0, ms);
  }

  /**
   * @param link The isolates.
   * @param accept Starts a session on a stand-in (this isolate as home).
   */
  constructor(link: IsolateLink, accept: AcceptRelayed) {
    this.#link = link;
    link.on("ws.open", (p, from) => {
      const o = p as Open;
      const socket = new RelayedSocket(link, from, o.sid);
      this.#standIns.set(`${from}:${o.sid}`, socket);
      accept(socket, o);
      socket.onopen?.();
      if (o.first !== undefined) socket.onmessage?.({ data: o.first });
    });
    link.on("ws.msg", (p, from) => {
      const { sid, d } = p as { sid: number; d: unknown };
      this.#standIns.get(`${from}:${sid}`)?.onmessage?.({ data: d });
    });
    link.on("ws.ack", (p, from) => {
      const { sid, n, behind } = p as {
        sid: number;
        n: number;
        behind: number;
      };
      const s = this.#standIns.get(`${from}:${sid}`);
      if (s === undefined) return;
      s.unacked = Math.max(0, s.unacked - n);
      s.behind = behind;
    });
    link.on("ws.gone", (p, from) => {
      this.#closeStandIn(`${from}:${(p as { sid: number }).sid}`);
    });
    link.on("ws.send", (p) => {
      const { sid, d } = p as { sid: number; d: string | Uint8Array };
      const held = this.#held.get(sid);
      if (held === undefined || held.socket.readyState !== WebSocket.OPEN) {
        return;
      }
      held.socket.send(d);
      link.send(held.home, "ws.ack", {
        sid,
        n: typeof d === "string" ? d.length : d.byteLength,
        behind: held.socket.bufferedAmount,
      });
    });
    link.on("ws.close", (p) => {
      const { sid, code, reason } = p as {
        sid: number;
        code: number;
        reason: string;
      };
      const held = this.#held.get(sid);
      if (held?.socket.readyState === WebSocket.OPEN) {
        held.socket.close(code, reason);
      }
    });
    link.onGone((isolate) => {
      for (const [sid, held] of this.#held) {
        if (held.home !== isolate) continue;
        this.#held.delete(sid);
        if (held.socket.readyState === WebSocket.OPEN) {
          held.socket.close(1011, "session lost");
        }
      }
      for (const key of [...this.#standIns.keys()]) {
        if (key.startsWith(`${isolate}:`)) this.#closeStandIn(key);
      }
    });
  }

  /**
   * Relay a socket this isolate holds to the session's home.
   *
   * @param socket The client's socket (open, or about to open).
   * @param home The isolate that holds the session.
   * @param open The token, the first message already read, the address.
   */
  relay(socket: WebSocket, home: string, open: RelayedOpen): void {
    const sid = this.#next++;
    this.#held.set(sid, { socket, home });
    socket.binaryType = "arraybuffer";
    const start = () =>
      this.#link.send(home, "ws.open", { sid, ...open } satisfies Open);
    if (socket.readyState === WebSocket.OPEN) start();
    else socket.onopen = start;
    socket.onmessage = (e) =>
      this.#link.send(home, "ws.msg", { sid, d: e.data });
    socket.onerror = () => {};
    // A socket handed over after its first message keeps its own cleanup.
    const before = socket.onclose;
    socket.onclose = (e) => {
      before?.call(socket, e);
      if (!this.#held.delete(sid)) return;
      this.#link.send(home, "ws.gone", { sid });
    };
  }

  #closeStandIn(key: string): void {
    const s = this.#standIns.get(key);
    if (s === undefined) return;
    this.#standIns.delete(key);
    s.readyState = WebSocket.CLOSED;
    s.onclose?.();
  }
}
