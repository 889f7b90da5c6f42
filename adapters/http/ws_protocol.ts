/**
 * The subprotocols of `GET /api/ws` (docs/http.md §5) and how each puts
 * events into WebSocket messages: `roomcast.v1` one JSON object per text
 * message, `roomcast.batch.v1` the events of one turn as a JSON array in
 * one text message, `roomcast.binary.v1` their binary frames
 * (docs/protocol.md) back to back in one binary message; a turn bigger
 * than {@link MAX_MESSAGE_BYTES} takes several messages. A batch made of
 * the same events as the previous member's is shared, not encoded again
 * (core/batch.ts).
 *
 * @module
 */

import { batchFrames, batchJson } from "../../core/batch.ts";
import type { Outgoing } from "../../core/peer.ts";
import { NativeWebSocket } from "./ws_native.ts";

/** The subprotocols the server speaks, by encoding. */
export const WsProtocol = {
  /** JSON, one event per text message: the first protocol, for scripts. */
  json: "roomcast.v1",
  /** JSON, the events of one turn as an array in one text message. */
  batch: "roomcast.batch.v1",
  /** Binary frames (docs/protocol.md), several per binary message. */
  binary: "roomcast.binary.v1",
} as const;

/** How events are put into messages: a key of {@link WsProtocol}. */
export type WsEncoding = keyof typeof WsProtocol;

/** The subprotocol of one JSON object per message (`roomcast.v1`). */
export const WS_PROTOCOL = WsProtocol.json;
/** Prefix of the subprotocol that carries a session token. */
export const WS_TOKEN_PREFIX = "roomcast.token.";

const BY_NAME: ReadonlyMap<string, WsEncoding> = new Map(
  Object.entries(WsProtocol).map(([k, v]) => [v, k as WsEncoding]),
);

/**
 * The protocol to speak: the first one the client offers that the server
 * knows (a client lists them fastest first), or one JSON object per
 * message, without a subprotocol, when it offers none of them.
 *
 * @param offered The `Sec-WebSocket-Protocol` values, in order.
 * @returns The encoding and the subprotocol to answer, if any.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(pickWsProtocol(["roomcast.binary.v1", "roomcast.v1"]), {
 *   encoding: "binary",
 *   protocol: "roomcast.binary.v1",
 * });
 * assert.deepEqual(pickWsProtocol([]), { encoding: "json", protocol: undefined });
 * ```
 */
export function pickWsProtocol(
  offered: readonly string[],
): { encoding: WsEncoding; protocol: string | undefined } {
  for (const name of offered) {
    const encoding = BY_NAME.get(name);
    if (encoding !== undefined) return { encoding, protocol: name };
  }
  return { encoding: "json", protocol: undefined };
}

/**
 * Bytes an event takes in an encoding (its JSON in UTF-16 code units, about
 * its UTF-8 bytes; its frame), for the member's outbound bound.
 *
 * @param encoding The encoding.
 * @param out The event.
 * @returns Bytes.
 */
export function encodedSize(encoding: WsEncoding, out: Outgoing): number {
  return encoding === "binary" ? out.binary().length : out.json().length + 1;
}

/**
 * Most bytes the server puts in one message, unless one event alone is
 * bigger. Deno copies every message it sends, and its WebSocket writer
 * keeps a buffer as large as the largest message it ever wrote: small
 * messages bound what each connection keeps.
 */
export const MAX_MESSAGE_BYTES = 8 * 1024;

/**
 * Where the message that starts at `from` ends: after as many events as fit
 * in {@link MAX_MESSAGE_BYTES} (at least one) in `batch` and `binary`, after
 * one in `json`.
 *
 * @param encoding The encoding.
 * @param batch The events, in order.
 * @param from The first event of the message.
 * @param to After the last event that may go in it.
 * @returns After the message's last event.
 */
export function messageEnd(
  encoding: WsEncoding,
  batch: readonly Outgoing[],
  from: number,
  to: number,
): number {
  if (encoding === "json") return from + 1;
  let end = from, size = 0;
  do size += encodedSize(encoding, batch[end++]!); while (
    end < to && size + encodedSize(encoding, batch[end]!) <= MAX_MESSAGE_BYTES
  );
  return end;
}

/**
 * Send events `from` to `end - 1` as one message (one event in `json`):
 * shared with every member sending the same events (core/batch.ts).
 *
 * @param socket An open WebSocket.
 * @param encoding The encoding.
 * @param batch The events, in order.
 * @param from The first event to send.
 * @param end After the last (from {@link messageEnd}).
 * @returns Bytes handed to the socket (about, for JSON).
 */
export function sendMessage(
  socket: WebSocket,
  encoding: WsEncoding,
  batch: readonly Outgoing[],
  from: number,
  end: number,
): number {
  if (encoding === "binary") {
    const bytes = batchFrames(batch, from, end);
    socket.send(bytes);
    return bytes.length;
  }
  if (encoding === "json" && socket instanceof NativeWebSocket) {
    const bytes = batch[from]!.jsonUtf8();
    socket.sendText(bytes);
    return bytes.length;
  }
  const text = encoding === "json"
    ? batch[from]!.json()
    : batchJson(batch, from, end);
  socket.send(text);
  return text.length;
}
