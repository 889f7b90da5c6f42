/**
 * The bytes a fan-out sends to every WebSocket member alike, made once:
 * frame headers by opcode and length, and the UTF-8 of texts sent lately
 * (adapters/http/ws_native.ts).
 *
 * @module
 */

import { writeWsHeader, wsHeaderLength } from "../../core/websocket_encode.ts";

const utf8 = new TextEncoder();
// The UTF-8 of the texts sent lately and the headers made lately: a
// fan-out sends the same texts (the same strings: a turn's batch, shared by
// core/batch.ts) to every member, so each is encoded once per fan-out, and
// the members' outboxes hold identical chunks, whose joined bytes they share
// (core/outbox.ts). Bounded: cleared when full. One event per message
// (`roomcast.v1`) goes through NativeWebSocket.sendText with the event's bytes
// (Outgoing.jsonUtf8), as a turn may hold more events than this keeps.
const CACHE_ENTRIES = 64;
const texts = new Map<string, Uint8Array>();
const headers = new Map<number, Uint8Array>();

/**
 * The header of a final, unmasked frame, shared by every socket that sends
 * one of this opcode and length.
 *
 * @param opcode The frame's opcode.
 * @param length Payload bytes.
 * @returns The header's bytes (do not modify).
 */
export function frameHeader(opcode: number, length: number): Uint8Array {
  const key = length * 16 + opcode;
  let h = headers.get(key);
  if (h === undefined) {
    h = new Uint8Array(wsHeaderLength(length));
    writeWsHeader(h, 0, opcode, length);
    if (headers.size >= CACHE_ENTRIES) headers.clear();
    headers.set(key, h);
  }
  return h;
}

/**
 * A text's UTF-8, shared by every socket that sends the same text lately.
 *
 * @param text The text.
 * @returns Its bytes (do not modify).
 */
export function textBytes(text: string): Uint8Array {
  let bytes = texts.get(text);
  if (bytes === undefined) {
    bytes = utf8.encode(text);
    if (texts.size >= CACHE_ENTRIES) texts.clear();
    texts.set(text, bytes);
  }
  return bytes;
}
