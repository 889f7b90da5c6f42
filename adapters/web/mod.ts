/**
 * The chat page's files, for the server to serve (adapters/http/web_page.ts):
 * the HTML, stylesheet and icons, and the sources of the browser's modules
 * (this folder's TypeScript and the core files it imports), as text.
 * They are imports of this module, so they travel with the code: into a
 * `deno compile` binary, a `deno install`ed command, or a program that
 * embeds roomcast from a URL, with no file read at run time.
 *
 * The other files of this folder run in the browser, not on the server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(PAGE_FILES.get("adapters/web/page.html")!, /<html/);
 * assert.match(PAGE_MODULES.get("core/text/render.ts")!, /export function renderEvent/);
 * ```
 *
 * @module
 */

import pageHtml from "./page.html" with { type: "text" };
import pageCss from "./page.css" with { type: "text" };
import iconSvg from "./icon.svg" with { type: "text" };
import announceSvg from "./announce.svg" with { type: "text" };
import page from "./page.ts" with { type: "text" };
import connection from "./connection.ts" with { type: "text" };
import backoff from "./backoff.ts" with { type: "text" };
import resumePoint from "./resume_point.ts" with { type: "text" };
import receipts from "./receipts.ts" with { type: "text" };
import sessionApi from "./session_api.ts" with { type: "text" };
import chatSocket from "./chat_socket.ts" with { type: "text" };
import memberList from "./member_list.ts" with { type: "text" };
import messageLog from "./message_log.ts" with { type: "text" };
import words from "./words.ts" with { type: "text" };
import events from "../../core/events.ts" with { type: "text" };
import errors from "../../core/errors.ts" with { type: "text" };
import render from "../../core/text/render.ts" with { type: "text" };
import phrases from "../../core/text/phrases.ts" with { type: "text" };
import bytes from "../../core/_bytes.ts" with { type: "text" };
import codec from "../../core/codec/mod.ts" with { type: "text" };
import decodePayload from "../../core/codec/decode_payload.ts" with {
  type: "text",
};
import decoder from "../../core/codec/decoder.ts" with { type: "text" };
import encode from "../../core/codec/encode.ts" with { type: "text" };
import frame from "../../core/codec/frame.ts" with { type: "text" };
import header from "../../core/codec/header.ts" with { type: "text" };
import datagramFrames from "../../core/datagram/frames.ts" with {
  type: "text",
};
import token from "../../core/datagram/token.ts" with { type: "text" };

/** The page's static files, by path from the repository's root. */
export const PAGE_FILES: ReadonlyMap<string, string> = new Map([
  ["adapters/web/page.html", pageHtml],
  ["adapters/web/page.css", pageCss],
  ["adapters/web/icon.svg", iconSvg],
  ["adapters/web/announce.svg", announceSvg],
]);

/**
 * The TypeScript sources of the browser's modules, by path from the
 * repository's root: page.ts and everything it imports
 * (tests/adapters/http/web_page_test.ts checks the list against the import
 * graph).
 */
export const PAGE_MODULES: ReadonlyMap<string, string> = new Map([
  ["adapters/web/page.ts", page],
  ["adapters/web/connection.ts", connection],
  ["adapters/web/backoff.ts", backoff],
  ["adapters/web/resume_point.ts", resumePoint],
  ["adapters/web/receipts.ts", receipts],
  ["adapters/web/session_api.ts", sessionApi],
  ["adapters/web/chat_socket.ts", chatSocket],
  ["adapters/web/member_list.ts", memberList],
  ["adapters/web/message_log.ts", messageLog],
  ["adapters/web/words.ts", words],
  ["core/events.ts", events],
  ["core/errors.ts", errors],
  ["core/text/render.ts", render],
  ["core/text/phrases.ts", phrases],
  // The codec, for the binary WebSocket subprotocol (chat_socket.ts).
  ["core/_bytes.ts", bytes],
  ["core/codec/mod.ts", codec],
  ["core/codec/decode_payload.ts", decodePayload],
  ["core/codec/decoder.ts", decoder],
  ["core/codec/encode.ts", encode],
  ["core/codec/frame.ts", frame],
  ["core/codec/header.ts", header],
  ["core/datagram/frames.ts", datagramFrames],
  ["core/datagram/token.ts", token],
]);
