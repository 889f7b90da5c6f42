/// <reference lib="dom" />
/**
 * The page's link to the server: an HTTP session (`POST
 * /api/rooms/ROOM/sessions`, so a refused name is answered before any
 * socket opens), taken over by the WebSocket `GET /api/ws`
 * (adapters/web/chat_socket.ts, binary frames where the server speaks
 * them) with a RESUME (protocol version 2; the token goes in a message,
 * never in the URL). The page counts the events after each WELCOME, so
 * when the socket drops and comes back (with backoff) within the server's
 * grace period, the same member resumes and gets exactly what it missed;
 * after that, or after a restart, it makes a new session with the same name
 * and room, waiting while the name is taken. Each message is followed by a
 * ping, so the pong confirms it and an error before the pong refuses it.
 *
 * @module
 */

import type { ChatEvent, ErrorEvent } from "../../core/events.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import { ChatSocket } from "./chat_socket.ts";

/** Where the connection stands. */
export type ConnectionState =
  | { readonly kind: "idle" }
  | { readonly kind: "joining" }
  | { readonly kind: "joined"; readonly room: string; readonly name: string }
  | { readonly kind: "connecting" }
  | {
    readonly kind: "retrying";
    /** When the next try starts (`Date.now()` clock). */
    readonly at: number;
    /** True when the server is back but the name is taken there. */
    readonly nameTaken: boolean;
  };

/** A refused join or room change: the core's code and the server's detail. */
export interface Refusal {
  /** Stable code, such as `NAME_TAKEN`, or `UNREACHABLE`. */
  readonly code: ErrorCodeName | "UNREACHABLE";
  /** The server's English detail. */
  readonly detail: string;
}

/** What the connection tells the page. */
export interface ConnectionHandlers {
  /** An event for the message list and member list. */
  event(event: ChatEvent): void;
  /** The state changed. */
  state(state: ConnectionState): void;
  /** The server took the message sent with this nonce. */
  acked(nonce: number): void;
  /** The server refused it (`error`), or the connection was lost first. */
  rejected(nonce: number, error: ErrorEvent | undefined): void;
  /** A room change was refused (the member stays where it was), or a rejoin
   * after a restart can never succeed (the member is out). */
  refused(refusal: Refusal): void;
  /** Events missed while the socket was away that could not be given back. */
  lost?(count: number): void;
}

/** Options of a {@link ChatConnection}. */
export interface ConnectionOptions {
  /** The server's origin. */
  readonly base: URL;
  /** First reconnect delay, in ms. @default {500} */
  readonly minDelayMs?: number;
  /** Longest reconnect delay, in ms. @default {8000} */
  readonly maxDelayMs?: number;
}

/** Errors that answer a `say`. */
const SAY_ERRORS = new Set<string>([
  "MESSAGE_EMPTY",
  "MESSAGE_TOO_LONG",
  "RATE_LIMITED",
  "NOT_JOINED",
  "FRAME_TOO_LARGE",
  "INVALID_UTF8",
]);

type Created = { token: string } | { refusal: Refusal } | { retry: true };

/** A member of one room at a time, over an HTTP session and a WebSocket. */
export class ChatConnection {
  readonly #h: ConnectionHandlers;
  readonly #base: URL;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  #state: ConnectionState = { kind: "idle" };
  #token: string | undefined;
  #name = "";
  #room = "";
  #ws: ChatSocket | undefined;
  #wanted = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryAtOnce = false;
  #nonce = 0;
  #unacked: number[] = [];
  #switching = false;
  /** The last welcome (room, name, members), as JSON. */
  #welcome: string | undefined;
  /** The number of the last event received since the last welcome. */
  #seen = 0;
  #counting = false;

  constructor(handlers: ConnectionHandlers, options: ConnectionOptions) {
    this.#h = handlers;
    this.#base = options.base;
    this.#minDelay = options.minDelayMs ?? 500;
    this.#maxDelay = options.maxDelayMs ?? 8000;
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Your name as others see it (once joined). */
  get name(): string {
    return this.#name;
  }

  /** The room you are in, or are trying to get back to. */
  get room(): string {
    return this.#room;
  }

  /**
   * Join a room. Resolves with the refusal when the server says no (the
   * page shows it next to the name), or undefined once the session exists;
   * the welcome follows as an event.
   */
  async join(room: string, name: string): Promise<Refusal | undefined> {
    this.#reset();
    this.#room = room;
    this.#name = name;
    this.#set({ kind: "joining" });
    const created = await this.#createSession();
    if ("refusal" in created) {
      this.#set({ kind: "idle" });
      return created.refusal;
    }
    if ("retry" in created) {
      this.#set({ kind: "idle" });
      return { code: "UNREACHABLE", detail: "Cannot reach the server" };
    }
    this.#wanted = true;
    this.#open();
    return undefined;
  }

  /**
   * Send a message. Returns its nonce (see `acked` and `rejected`), or
   * undefined when not in a room right now.
   */
  say(text: string): number | undefined {
    const ws = this.#ws;
    if (this.#state.kind !== "joined" || ws?.isOpen !== true) {
      return undefined;
    }
    const nonce = this.#nonce = (this.#nonce % 0xffff_fffe) + 1;
    ws.send({ type: "say", text }, { type: "ping", nonce });
    this.#unacked.push(nonce);
    return nonce;
  }

  /** Move to another room with the same name (refusals: `refused`). */
  switchRoom(room: string): void {
    const ws = this.#ws;
    if (this.#state.kind !== "joined" || ws?.isOpen !== true) return;
    this.#switching = true;
    ws.send({ type: "join", room, name: this.#name });
  }

  /** Try again now instead of waiting for the backoff. */
  retryNow(): void {
    if (this.#state.kind !== "retrying") return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#reconnect();
  }

  /** Leave the room and stop reconnecting. */
  leave(): void {
    const token = this.#token;
    const open = this.#ws?.isOpen === true;
    if (open) this.#ws!.send({ type: "leave" });
    else if (token !== undefined) {
      // No socket: end the HTTP session directly (best effort).
      fetch(new URL("/api/sessions/me", this.#base), {
        method: "DELETE",
        headers: { authorization: `Bearer ${token}` },
        keepalive: true,
      }).catch(() => {});
    }
    this.#reset();
    this.#set({ kind: "idle" });
  }

  #reset(): void {
    this.#wanted = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#token = undefined;
    this.#welcome = undefined;
    this.#counting = false;
    this.#attempt = 0;
    this.#switching = false;
    this.#failUnacked();
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close();
  }

  #set(state: ConnectionState): void {
    this.#state = state;
    this.#h.state(state);
  }

  async #createSession(): Promise<Created> {
    const url = new URL(
      `/api/rooms/${encodeURIComponent(this.#room)}/sessions`,
      this.#base,
    );
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: this.#name }),
      });
    } catch {
      return { retry: true };
    }
    const body = await response.json().catch(() => ({})) as Record<
      string,
      unknown
    >;
    if (response.status === 201 && typeof body.token === "string") {
      this.#token = body.token;
      this.#seen = 0;
      this.#counting = false;
      if (typeof body.room === "string") this.#room = body.room;
      if (typeof body.name === "string") this.#name = body.name;
      return { token: body.token };
    }
    if (response.status >= 500 || response.status === 429) {
      return { retry: true };
    }
    return {
      refusal: {
        code:
          (typeof body.code === "string"
            ? body.code
            : "UNREACHABLE") as Refusal["code"],
        detail: typeof body.detail === "string"
          ? body.detail
          : `HTTP ${response.status}`,
      },
    };
  }

  #open(): void {
    const url = new URL("/api/ws", this.#base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const token = this.#token ?? "";
    const ws: ChatSocket = this.#ws = new ChatSocket(url, {
      open: () =>
        ws.send(
          { type: "hello", version: 2, software: "roomcast-web" },
          { type: "resume", token, seen: this.#seen },
        ),
      event: (e) => {
        if (ws !== this.#ws) return;
        // Every event after a welcome has a number.
        if (this.#counting && e.type !== "welcome") this.#seen++;
        this.#receive(e);
      },
      skipped: () => {
        // A type this page does not know took a number all the same.
        if (ws === this.#ws && this.#counting) this.#seen++;
      },
      close: () => {
        if (ws !== this.#ws) return;
        this.#ws = undefined;
        this.#lost();
      },
    });
  }

  #receive(e: ChatEvent): void {
    switch (e.type) {
      case "welcome": {
        if (e.resume !== undefined) {
          this.#token = e.resume.token;
          this.#seen = e.resume.seq;
          this.#counting = true;
          if (e.resume.lost > 0) this.#h.lost?.(e.resume.lost);
        }
        // A member that resumed is welcomed again: say it once.
        const key = JSON.stringify([e.room, e.name, e.members]);
        const again = key === this.#welcome;
        this.#welcome = key;
        this.#attempt = 0;
        this.#switching = false;
        this.#room = e.room;
        this.#name = e.name;
        this.#set({ kind: "joined", room: e.room, name: e.name });
        if (again) return;
        break;
      }
      case "pong": {
        const i = this.#unacked.indexOf(e.nonce);
        if (i === -1) return;
        // Anything sent before it and not refused went through too.
        for (const nonce of this.#unacked.splice(0, i + 1)) {
          this.#h.acked(nonce);
        }
        return;
      }
      case "error":
        if (
          (e.fatal && e.code === "BAD_TOKEN") ||
          (!e.fatal && e.code === "RESUME_FAILED" &&
            this.#state.kind !== "joined")
        ) {
          // The session ended (server restart, grace period over): make a
          // new one at once, once this socket has closed.
          this.#token = undefined;
          this.#counting = false;
          this.#retryAtOnce = true;
          this.#ws?.close();
          return;
        }
        if (e.fatal && e.code === "RESUME_FAILED") {
          // Another connection took this member over: it is not ours now.
          this.#reset();
          this.#set({ kind: "idle" });
          this.#h.refused({ code: e.code, detail: e.message });
          return;
        }
        if (!e.fatal && SAY_ERRORS.has(e.code) && this.#unacked.length > 0) {
          this.#h.rejected(this.#unacked.shift()!, e);
          return;
        }
        if (!e.fatal && this.#switching) {
          this.#switching = false;
          this.#h.refused({ code: e.code, detail: e.message });
          return;
        }
        break;
      case "left":
        if (e.name === this.#name && e.room === this.#room) {
          if (e.reason === "quit") this.#wanted = false;
          // Removed (shutdown, timeout, ...): the session is over.
          else if (e.reason !== "moved") this.#token = undefined;
        }
        break;
    }
    this.#h.event(e);
  }

  #failUnacked(): void {
    const lost = this.#unacked;
    this.#unacked = [];
    for (const nonce of lost) this.#h.rejected(nonce, undefined);
  }

  #lost(): void {
    this.#failUnacked();
    this.#switching = false;
    if (!this.#wanted) {
      this.#set({ kind: "idle" });
      return;
    }
    if (this.#retryAtOnce) {
      this.#retryAtOnce = false;
      void this.#reconnect();
      return;
    }
    this.#schedule(false);
  }

  #schedule(nameTaken: boolean): void {
    const base = Math.min(this.#maxDelay, this.#minDelay * 2 ** this.#attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#attempt = Math.min(this.#attempt + 1, 16);
    this.#set({ kind: "retrying", at: Date.now() + delay, nameTaken });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#reconnect();
    }, delay);
  }

  async #reconnect(): Promise<void> {
    if (!this.#wanted) return;
    this.#set({ kind: "connecting" });
    if (this.#token === undefined) {
      const created = await this.#createSession();
      if (!this.#wanted) {
        if ("token" in created) this.leave();
        return;
      }
      if ("retry" in created) return this.#schedule(false);
      if ("refusal" in created) {
        if (created.refusal.code === "NAME_TAKEN") return this.#schedule(true);
        // The name or room is no longer allowed: nothing to wait for.
        this.#reset();
        this.#set({ kind: "idle" });
        this.#h.refused(created.refusal);
        return;
      }
    }
    this.#open();
  }
}
