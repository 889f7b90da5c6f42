/// <reference lib="dom" />
/**
 * The page's link to the server: an HTTP session (`POST
 * /api/rooms/ROOM/sessions`, so a refused name is answered before any
 * socket opens), taken over by the WebSocket `GET /api/ws`
 * (adapters/web/chat_socket.ts, binary frames where the server speaks
 * them) with a RESUME (protocol version 2; the token goes in a message,
 * never in the URL). The page counts the events after each WELCOME
 * (resume_point.ts), so when the socket drops and comes back (with backoff,
 * backoff.ts) within the server's grace period, the same member resumes and
 * gets exactly what it missed; after that, or after a restart, it makes a
 * new session with the same name and room (session_api.ts), waiting while
 * the name is taken. Which messages the server took: receipts.ts.
 *
 * @module
 */

import type { ChatEvent } from "../../core/events.ts";
import { Backoff } from "./backoff.ts";
import { ChatSocket } from "./chat_socket.ts";
import { type ReceiptHandlers, Receipts } from "./receipts.ts";
import { ResumePoint } from "./resume_point.ts";
import {
  type Created,
  createSession,
  endSession,
  type Refusal,
} from "./session_api.ts";

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

/** What the connection tells the page. */
export interface ConnectionHandlers extends ReceiptHandlers {
  /** An event for the message list and member list. */
  event(event: ChatEvent): void;
  /** The state changed. */
  state(state: ConnectionState): void;
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

/** A member of one room at a time, over an HTTP session and a WebSocket. */
export class ChatConnection {
  readonly #h: ConnectionHandlers;
  readonly #base: URL;
  readonly #retry: Backoff;
  #state: ConnectionState = { kind: "idle" };
  readonly #resume = new ResumePoint();
  #name = "";
  #room = "";
  #ws: ChatSocket | undefined;
  #wanted = false;
  #retryAtOnce = false;
  readonly #receipts: Receipts;
  #switching = false;

  constructor(handlers: ConnectionHandlers, options: ConnectionOptions) {
    this.#h = handlers;
    this.#base = options.base;
    this.#retry = new Backoff(
      options.minDelayMs ?? 500,
      options.maxDelayMs ?? 8000,
    );
    this.#receipts = new Receipts(handlers);
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
    const nonce = this.#receipts.next();
    ws.send({ type: "say", text }, { type: "ping", nonce });
    this.#receipts.sent(nonce);
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
    this.#retry.cancel();
    void this.#reconnect();
  }

  /** Leave the room and stop reconnecting. */
  leave(): void {
    const token = this.#resume.token;
    const open = this.#ws?.isOpen === true;
    if (open) this.#ws!.send({ type: "leave" });
    else if (token !== undefined) {
      // No socket: end the HTTP session directly (best effort).
      endSession(this.#base, token);
    }
    this.#reset();
    this.#set({ kind: "idle" });
  }

  #reset(): void {
    this.#wanted = false;
    this.#retry.reset();
    this.#resume.clear();
    this.#switching = false;
    this.#receipts.failAll();
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close();
  }

  #set(state: ConnectionState): void {
    this.#state = state;
    this.#h.state(state);
  }

  /** A new HTTP session for the room and name: a fresh count of events. */
  async #createSession(): Promise<Created> {
    const created = await createSession(this.#base, this.#room, this.#name);
    if ("token" in created) {
      this.#resume.start(created.token);
      if (created.room !== undefined) this.#room = created.room;
      if (created.name !== undefined) this.#name = created.name;
    }
    return created;
  }

  #open(): void {
    const url = new URL("/api/ws", this.#base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const token = this.#resume.token ?? "";
    const ws: ChatSocket = this.#ws = new ChatSocket(url, {
      open: () =>
        ws.send(
          { type: "hello", version: 2, software: "roomcast-web" },
          { type: "resume", token, seen: this.#resume.seen },
        ),
      event: (e) => {
        if (ws !== this.#ws) return;
        this.#resume.count(e);
        this.#receive(e);
      },
      skipped: () => {
        // A type this page does not know took a number all the same.
        if (ws === this.#ws) this.#resume.count(undefined);
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
        // A member that resumed is welcomed again: say it once.
        const again = this.#resume.welcome(e);
        if (e.resume !== undefined && e.resume.lost > 0) {
          this.#h.lost?.(e.resume.lost);
        }
        this.#retry.succeeded();
        this.#switching = false;
        this.#room = e.room;
        this.#name = e.name;
        this.#set({ kind: "joined", room: e.room, name: e.name });
        if (again) return;
        break;
      }
      case "pong":
        this.#receipts.pong(e.nonce);
        return;
      case "error":
        if (
          (e.fatal && e.code === "BAD_TOKEN") ||
          (!e.fatal && e.code === "RESUME_FAILED" &&
            this.#state.kind !== "joined")
        ) {
          // The session ended (server restart, grace period over): make a
          // new one at once, once this socket has closed.
          this.#resume.end();
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
        if (!e.fatal && this.#receipts.refuse(e)) return;
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
          else if (e.reason !== "moved") this.#resume.token = undefined;
        }
        break;
    }
    this.#h.event(e);
  }

  #lost(): void {
    this.#receipts.failAll();
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
    const at = this.#retry.schedule(() => void this.#reconnect());
    this.#set({ kind: "retrying", at, nameTaken });
  }

  async #reconnect(): Promise<void> {
    if (!this.#wanted) return;
    this.#set({ kind: "connecting" });
    if (this.#resume.token === undefined) {
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
