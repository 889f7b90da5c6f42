/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The chat page (adapters/web/page.html): wires the join form, the message
 * list, the member list, the send box, the language switch and the tab
 * title to a {@link ChatConnection}. Served to the browser as JavaScript by
 * adapters/http/web_page.ts.
 *
 * @module
 */

import type { ChatEvent } from "../../core/events.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import { type Lang, langFromLocale } from "../../core/text/phrases.ts";
import { renderError } from "../../core/text/render.ts";
import { ChatConnection, type ConnectionState } from "./connection.ts";
import { MemberList } from "./member_list.ts";
import { MessageLog } from "./message_log.ts";
import type { Refusal } from "./session_api.ts";
import { WORDS } from "./words.ts";

const LANG_KEY = "roomcast.lang";

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`Cannot start the page: no #${id}`);
  return el as T;
}

const ui = {
  status: $<HTMLParagraphElement>("status"),
  retry: $<HTMLButtonElement>("retry"),
  lang: $<HTMLSelectElement>("lang"),
  joinForm: $<HTMLFormElement>("join-form"),
  name: $<HTMLInputElement>("name"),
  room: $<HTMLInputElement>("room"),
  rooms: $<HTMLDataListElement>("rooms"),
  join: $<HTMLButtonElement>("join"),
  leave: $<HTMLButtonElement>("leave"),
  joinError: $<HTMLParagraphElement>("join-error"),
  log: $<HTMLDivElement>("log"),
  logItems: $<HTMLOListElement>("log-items"),
  below: $<HTMLButtonElement>("below"),
  members: $<HTMLUListElement>("members"),
  membersTitle: $<HTMLHeadingElement>("members-title"),
  sendForm: $<HTMLFormElement>("send-form"),
  text: $<HTMLTextAreaElement>("text"),
  send: $<HTMLButtonElement>("send"),
};

let lang: Lang = pickLang();
let unread = 0;
let refusal: Refusal | undefined;
let refusalField: HTMLInputElement | undefined;
let countdown: ReturnType<typeof setInterval> | undefined;

const log = new MessageLog(ui.log, ui.logItems, ui.below, lang);
const members = new MemberList(ui.members, ui.membersTitle, lang);

const connection = new ChatConnection({
  event(event: ChatEvent) {
    members.apply(event);
    log.add(event);
    if (
      document.hidden &&
      (event.type === "message" || event.type === "announcement")
    ) {
      unread++;
      updateTitle();
    }
  },
  state: showState,
  acked: (nonce) => log.deliver(nonce, { state: "sent" }),
  rejected(nonce, error) {
    log.deliver(nonce, { state: "failed", error });
  },
  refused(r) {
    // A room change (or a rejoin) was refused: the room is what to change.
    showRefusal(r, ui.room);
    ui.room.focus();
  },
  lost: (count) => log.addLost(count),
}, { base: new URL(location.href) });

function pickLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return langFromLocale(navigator.languages?.[0] ?? navigator.language);
}

function applyLang(): void {
  const words = WORDS[lang];
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  ui.lang.value = lang;
  for (const el of document.querySelectorAll<HTMLElement>("[data-w]")) {
    const value = words[el.dataset.w as keyof typeof words];
    if (typeof value === "string") el.textContent = value;
  }
  ui.text.placeholder = words.placeholder;
  log.setLang(lang);
  members.setLang(lang);
  showState(connection.state);
  if (refusal !== undefined) showRefusal(refusal, refusalField);
}

function showState(state: ConnectionState): void {
  const words = WORDS[lang];
  clearInterval(countdown);
  countdown = undefined;
  const inRoom = state.kind !== "idle" && state.kind !== "joining";
  const joined = state.kind === "joined";
  ui.name.readOnly = inRoom;
  ui.join.textContent = inRoom ? words.switchRoom : words.join;
  ui.join.classList.toggle("primary", !inRoom);
  ui.join.disabled = state.kind === "joining" || (inRoom && !joined);
  ui.leave.hidden = !inRoom;
  ui.text.disabled = !joined;
  ui.send.disabled = !joined;
  ui.retry.hidden = state.kind !== "retrying";
  members.setStale(inRoom && !joined);
  ui.status.classList.toggle("warn", inRoom && !joined);
  switch (state.kind) {
    case "idle":
      ui.status.textContent = words.idle;
      members.clear();
      break;
    case "joining":
      ui.status.textContent = words.joining;
      break;
    case "joined":
      ui.status.textContent = words.joined(state.name, state.room);
      ui.room.value = state.room;
      ui.name.value = state.name;
      break;
    case "connecting":
      ui.status.textContent = words.connecting;
      break;
    case "retrying": {
      const tick = () => {
        const s = Math.max(1, Math.ceil((state.at - Date.now()) / 1000));
        ui.status.textContent = state.nameTaken
          ? words.waitingForName(connection.name, s)
          : words.reconnecting(s);
      };
      tick();
      countdown = setInterval(tick, 1000);
      break;
    }
  }
  updateTitle();
}

function updateTitle(): void {
  const room = connection.state.kind === "idle" ? "" : `${connection.room} · `;
  document.title = `${unread > 0 ? `(${unread}) ` : ""}${room}roomcast`;
}

function showRefusal(r: Refusal, field?: HTMLInputElement): void {
  refusal = r;
  refusalField = field;
  ui.joinError.textContent = r.code === "UNREACHABLE"
    ? WORDS[lang].unreachable
    : renderError(r.code as ErrorCodeName, r.detail, lang);
  const onName = field ? field === ui.name : r.code.startsWith("NAME_");
  markInvalid(ui.name, onName);
  markInvalid(ui.room, field ? field === ui.room : r.code.startsWith("ROOM_"));
}

function markInvalid(field: HTMLInputElement, invalid: boolean): void {
  if (invalid) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

function clearRefusal(): void {
  refusal = undefined;
  ui.joinError.textContent = "";
  markInvalid(ui.name, false);
  markInvalid(ui.room, false);
}

async function loadRooms(): Promise<void> {
  try {
    const response = await fetch("/api/rooms");
    if (!response.ok) return;
    const body = await response.json() as {
      rooms: { name: string; members: number }[];
    };
    ui.rooms.replaceChildren(...body.rooms.map((r) => {
      const option = document.createElement("option");
      option.value = r.name;
      option.label = `${r.name} (${r.members})`;
      return option;
    }));
  } catch {
    // The list is a convenience: typing a room works without it.
  }
}

ui.joinForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const room = ui.room.value.trim() || "lobby";
  const state = connection.state;
  if (state.kind === "joined") {
    if (room !== state.room) {
      clearRefusal();
      connection.switchRoom(room);
    }
    return;
  }
  if (state.kind !== "idle") return;
  clearRefusal();
  log.clear();
  const refused = await connection.join(room, ui.name.value);
  if (refused !== undefined) {
    showRefusal(refused);
    const field = refused.code.startsWith("ROOM_") ? ui.room : ui.name;
    field.focus();
    return;
  }
  ui.text.disabled = false;
  ui.text.focus();
});

ui.leave.addEventListener("click", () => {
  connection.leave();
  ui.name.focus();
});

ui.retry.addEventListener("click", () => connection.retryNow());

for (const field of [ui.name, ui.room]) {
  field.addEventListener("input", () => {
    if (refusal !== undefined) clearRefusal();
  });
}

let roomsLoaded = 0;
ui.room.addEventListener("focus", () => {
  if (Date.now() - roomsLoaded > 2000) {
    roomsLoaded = Date.now();
    void loadRooms();
  }
});

ui.sendForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = ui.text.value;
  if (text.trim() === "") return;
  const nonce = connection.say(text);
  if (nonce === undefined) return;
  log.addOwn({
    type: "message",
    room: connection.room,
    from: connection.name,
    text,
  }, nonce);
  ui.text.value = "";
});

ui.text.addEventListener("keydown", (e) => {
  // Enter sends; Shift+Enter is a new line; Enter that ends an IME
  // composition (Chinese input) only ends it.
  if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) {
    return;
  }
  e.preventDefault();
  ui.sendForm.requestSubmit();
});

ui.lang.addEventListener("change", () => {
  lang = ui.lang.value === "zh" ? "zh" : "en";
  localStorage.setItem(LANG_KEY, lang);
  applyLang();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && unread > 0) {
    unread = 0;
    updateTitle();
  }
});

addEventListener("online", () => connection.retryNow());
addEventListener("pagehide", () => {
  if (connection.state.kind !== "idle") connection.leave();
});

applyLang();
void loadRooms();
ui.name.focus();
