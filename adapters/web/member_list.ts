/// <reference lib="dom" />
/**
 * The page's member list, kept from the welcome (names and total) and the
 * joins and leaves that follow. Names are set as `textContent`.
 *
 * @module
 */

import type { ChatEvent } from "../../core/events.ts";
import type { Lang } from "../../core/text/phrases.ts";
import { WORDS } from "./words.ts";

/** The live member list of the room you are in. */
export class MemberList {
  readonly #list: HTMLUListElement;
  readonly #title: HTMLElement;
  readonly #names = new Set<string>();
  #room: string | undefined;
  #me = "";
  #total = 0;
  #lang: Lang;

  /**
   * @param list The `<ul>` of names.
   * @param title Its heading, which shows the count.
   * @param lang Language.
   */
  constructor(list: HTMLUListElement, title: HTMLElement, lang: Lang) {
    this.#list = list;
    this.#title = title;
    this.#lang = lang;
    this.#render();
  }

  /** The names shown, in order. */
  get names(): string[] {
    return [...this.#names].sort((a, b) => a.localeCompare(b));
  }

  /** Follow an event; returns true when the list changed. */
  apply(event: ChatEvent): boolean {
    switch (event.type) {
      case "welcome":
      case "members":
        if (event.type === "welcome") this.#me = event.name;
        else if (event.room !== this.#room) return false;
        this.#room = event.room;
        this.#names.clear();
        for (const name of event.members) this.#names.add(name);
        this.#total = Math.max(event.total, this.#names.size);
        break;
      case "joined":
        if (event.room !== this.#room || this.#names.has(event.name)) {
          return false;
        }
        this.#names.add(event.name);
        this.#total++;
        break;
      case "left":
        if (event.room !== this.#room) return false;
        if (this.#names.delete(event.name) || this.#total > this.#names.size) {
          this.#total = Math.max(this.#names.size, this.#total - 1);
        }
        break;
      default:
        return false;
    }
    this.#render();
    return true;
  }

  /** Show that the list may be out of date (reconnecting). */
  setStale(stale: boolean): void {
    this.#list.parentElement?.classList.toggle("stale", stale);
  }

  /** Forget everyone (you left). */
  clear(): void {
    this.#names.clear();
    this.#room = undefined;
    this.#total = 0;
    this.setStale(false);
    this.#render();
  }

  /** Show the heading in another language. */
  setLang(lang: Lang): void {
    this.#lang = lang;
    this.#render();
  }

  #render(): void {
    const words = WORDS[this.#lang];
    this.#title.textContent = words.members(this.#total);
    this.#list.replaceChildren(...this.names.map((name) => {
      const li = document.createElement("li");
      li.textContent = name;
      if (name === this.#me) {
        const you = document.createElement("span");
        you.className = "you";
        you.textContent = words.you;
        li.append(you);
      }
      return li;
    }));
  }
}
