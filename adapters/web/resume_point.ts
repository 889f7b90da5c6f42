/**
 * Where the page's member is in the server's events, for a RESUME: the
 * token to name (the HTTP session's, then the resume token a WELCOME
 * gives) and the number of the last event received since the last WELCOME
 * (every event after a WELCOME has a number, even one of a type the page
 * does not know). A member that resumes is welcomed again: the page says it
 * once. adapters/web/connection.ts owns one.
 *
 * @module
 */

import type { ChatEvent, WelcomeEvent } from "../../core/events.ts";

/** The member's resume token and event count. */
export class ResumePoint {
  /** The token a RESUME names, while the member's session may go on. */
  token: string | undefined;
  /** The number of the last event received since the last welcome. */
  seen = 0;
  #counting = false;
  /** The last welcome (room, name, members), as JSON. */
  #welcome: string | undefined;

  /** A new HTTP session: its token, nothing counted yet. */
  start(token: string): void {
    this.token = token;
    this.seen = 0;
    this.#counting = false;
  }

  /** The session ended (server restart, grace period over): no token. */
  end(): void {
    this.token = undefined;
    this.#counting = false;
  }

  /** Forget the member (it left, or joins anew). */
  clear(): void {
    this.end();
    this.#welcome = undefined;
  }

  /**
   * An event arrived.
   *
   * @param e The event, or undefined for one of a type the page does not
   *   know (it took a number all the same).
   */
  count(e: ChatEvent | undefined): void {
    // Every event after a welcome has a number.
    if (this.#counting && e?.type !== "welcome") this.seen++;
  }

  /**
   * A WELCOME: a resumable member's carries the token and the count.
   *
   * @returns True when it repeats the last one (the member resumed).
   */
  welcome(e: WelcomeEvent): boolean {
    if (e.resume !== undefined) {
      this.token = e.resume.token;
      this.seen = e.resume.seq;
      this.#counting = true;
    }
    const key = JSON.stringify([e.room, e.name, e.members]);
    const again = key === this.#welcome;
    this.#welcome = key;
    return again;
  }
}
