/**
 * The hand-over of a resumable member from the node holding it to the node
 * where it resumes (core/resumption.ts; the backplane carries it,
 * `Backplane.handOver` in core/backplane.ts): what one node asks, what the other gives,
 * and the node tags that resume tokens start with, so that a node knows
 * whom to ask.
 *
 * @module
 */

import type { Outgoing } from "./peer.ts";

/** A resumable member's place, as handed from one node to another. */
export interface HandOff {
  /** Canonical room. */
  readonly room: string;
  /** Folded name key. */
  readonly key: string;
  /** Display name. */
  readonly name: string;
  /** The number of the event before the first of `events`. */
  readonly seq: number;
  /** Events after the client's last one that are no longer kept. */
  readonly lost: number;
  /** The events the client has not received, oldest first. */
  readonly events: readonly Outgoing[];
}

/** A node asks for a resumable member held by another node. */
export interface HandOverRequest {
  /** The member's resume token. */
  readonly token: string;
  /** The number of the last event the client received. */
  readonly seen: number;
}

/**
 * A node's side of a hand-over (the chat implements it): the member
 * holding a resume token on this node, and giving it up. Between
 * {@link HandOffHandler.find} and {@link HandOffHandler.take} the backplane
 * moves the member's name claim to the node asking, atomically; `take`
 * then removes the member here without a leave.
 */
export interface HandOffHandler {
  /** The place of the member holding `token` here, if any. */
  find(token: string): { room: string; key: string; name: string } | undefined;
  /** Give the member up: its place and the events after `seen`. */
  take(token: string, seen: number): HandOff | undefined;
}

/**
 * A short tag of a node id, the first part of the resume tokens that node
 * gives out, so that another node knows whom to ask (32-bit FNV-1a, base 36).
 *
 * @param nodeId A node id.
 * @returns Its tag (1 to 7 characters of `0-9a-z`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(nodeTag("node-1"), nodeTag("node-1"));
 * assert.notEqual(nodeTag("node-1"), nodeTag("node-2"));
 * ```
 */
export function nodeTag(nodeId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < nodeId.length; i++) {
    h = Math.imul(h ^ nodeId.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/**
 * The node tag a resume token starts with (before its first `.`).
 *
 * @param token A resume token.
 * @returns The tag, or `""` for a token without one.
 */
export function tokenTag(token: string): string {
  const dot = token.indexOf(".");
  return dot < 0 ? "" : token.slice(0, dot);
}
