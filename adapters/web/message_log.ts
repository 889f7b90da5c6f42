/// <reference lib="dom" />
/**
 * The page's message list: one item per event, its text from the core's
 * {@link renderEvent} (the CLI's renderings, line breaks kept), always set
 * as `textContent`, never parsed as HTML. The room's history (what was
 * said before you came) shows with the time it was said, dimmed. Items
 * keep their events, so a language switch renders them again. The list is
 * bounded, follows new items while the reader is at the bottom, and
 * otherwise offers a button.
 *
 * @module
 */

import type { ChatEvent, ErrorEvent } from "../../core/events.ts";
import type { Lang } from "../../core/text/phrases.ts";
import {
  renderError,
  renderEvent,
  renderLost,
} from "../../core/text/render.ts";
import { WORDS } from "./words.ts";

/** Items kept in the list; older ones are dropped. */
export const MAX_ITEMS = 1000;

/** What became of a message of yours. */
export type Delivery =
  | { readonly state: "sending" }
  | { readonly state: "sent" }
  | { readonly state: "failed"; readonly error: ErrorEvent | undefined };

/** Events missed while away that the server could not give back. */
interface LostNote {
  readonly type: "lost";
  readonly count: number;
}

interface Item {
  readonly event: ChatEvent | LostNote;
  readonly at: Date;
  readonly li: HTMLLIElement;
  delivery: Delivery | undefined;
}

/** The message list of the page. */
export class MessageLog {
  readonly #scroller: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #below: HTMLButtonElement;
  readonly #items: Item[] = [];
  readonly #own = new Map<number, Item>();
  #lang: Lang;

  /**
   * @param scroller The scrolling `role="log"` element around the list.
   * @param list The `<ol>` of items.
   * @param below The "new messages below" button.
   * @param lang Language.
   */
  constructor(
    scroller: HTMLElement,
    list: HTMLOListElement,
    below: HTMLButtonElement,
    lang: Lang,
  ) {
    this.#scroller = scroller;
    this.#list = list;
    this.#below = below;
    this.#lang = lang;
    below.addEventListener("click", () => this.#toBottom());
    scroller.addEventListener("scroll", () => {
      if (this.#atBottom()) this.#below.hidden = true;
    });
  }

  /** Add an event to the list (history at the time it was said). */
  add(event: ChatEvent): void {
    const at = event.type === "history" ? new Date(event.time) : new Date();
    this.#push({ event, at, li: li(), delivery: undefined }, false);
  }

  /** Say that `count` events were missed while away and are gone. */
  addLost(count: number): void {
    const event: LostNote = { type: "lost", count };
    this.#push({ event, at: new Date(), li: li(), delivery: undefined }, false);
  }

  /** Add a message of yours, waiting for the server; `nonce` tracks it. */
  addOwn(event: ChatEvent, nonce: number): void {
    const item: Item = {
      event,
      at: new Date(),
      li: li(),
      delivery: { state: "sending" },
    };
    this.#own.set(nonce, item);
    this.#push(item, true);
  }

  /** What the server said about a message of yours. */
  deliver(nonce: number, delivery: Delivery): void {
    const item = this.#own.get(nonce);
    if (item === undefined) return;
    if (delivery.state !== "sending") this.#own.delete(nonce);
    item.delivery = delivery;
    if (delivery.state === "sent") {
      // Only drop the note: screen readers need not hear the line again.
      item.li.querySelector(".note")?.remove();
      item.li.classList.replace("sending", "sent");
    } else {
      this.#render(item);
    }
  }

  /** Show every item in another language. */
  setLang(lang: Lang): void {
    this.#lang = lang;
    for (const item of this.#items) this.#render(item);
  }

  /** Empty the list. */
  clear(): void {
    this.#items.length = 0;
    this.#own.clear();
    this.#list.replaceChildren();
  }

  #push(item: Item, own: boolean): void {
    const follow = own || this.#atBottom();
    this.#render(item);
    this.#items.push(item);
    this.#list.append(item.li);
    while (this.#items.length > MAX_ITEMS) {
      const old = this.#items.shift()!;
      old.li.remove();
    }
    if (follow) this.#toBottom();
    else this.#below.hidden = false;
  }

  #render(item: Item): void {
    const { delivery } = item;
    // History is shown as the event it carries, marked and dimmed.
    const past = item.event.type === "history";
    const event = item.event.type === "history" ? item.event.event : item.event;
    const lang = this.#lang;
    const words = WORDS[lang];
    const classes = ["ev", `ev-${event.type}`];
    if (past) classes.push("history");
    if (delivery !== undefined) classes.push("own", delivery.state);
    item.li.className = classes.join(" ");
    const parts: HTMLElement[] = [];
    const time = document.createElement("time");
    time.dateTime = item.at.toISOString();
    time.textContent = item.at.toLocaleTimeString(
      lang === "zh" ? "zh-CN" : "en-GB",
      { hour: "2-digit", minute: "2-digit" },
    );
    parts.push(time);
    if (event.type === "announcement") {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("aria-hidden", "true");
      parts.push(badge);
    }
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = event.type === "lost"
      ? renderLost(event.count, lang)
      : renderEvent(event, lang, { multiline: true });
    parts.push(text);
    if (delivery !== undefined && delivery.state !== "sent") {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = delivery.state === "sending"
        ? words.sending
        : words.notSent(
          delivery.error
            ? renderError(delivery.error.code, delivery.error.message, lang)
            : words.connectionLost,
        );
      parts.push(note);
    }
    item.li.replaceChildren(...parts);
  }

  #atBottom(): boolean {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  #toBottom(): void {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#below.hidden = true;
  }
}

function li(): HTMLLIElement {
  return document.createElement("li");
}
