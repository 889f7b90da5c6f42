/**
 * The options a transport gives a session: when it connects
 * ({@link ConnectOptions}) and when it makes it a text session
 * ({@link TextOptions}).
 *
 * @module
 */

import type { Lang } from "./text/phrases.ts";

/** Options for one connection, given by its transport. */
export interface ConnectOptions {
  /** Transport name for logs and metrics, such as `"tcp"`. */
  transport: string;
  /** Remote address for logs. */
  remote?: string;
  /** Binary streams must start with HELLO. @default {false} */
  hello?: boolean;
  /**
   * Remove the member after this much silence, in ms (datagram and HTTP
   * sessions, which have no connection to lose). @default {0} (never)
   */
  idleTimeoutMs?: number;
  /** Language for rendered text, where the transport renders text. @default {"en"} */
  lang?: Lang;
  /**
   * The member can resume after its connection goes away (HTTP sessions),
   * whatever protocol version it speaks; clients of the other transports
   * ask for it with version 2 in HELLO. @default {false}
   */
  resumable?: boolean;
  /**
   * The resume token to give the member, made with `Chat.newToken` (HTTP
   * sessions, whose bearer token it is). @default {a new one}
   */
  token?: string;
}

/** Options of `Session.startText` (core/session.ts). */
export interface TextOptions {
  /** Write the name prompt now (streams, after a quiet start). @default {true} */
  prompt?: boolean;
  /** Each chunk fed is one datagram, ending any line in it. @default {false} */
  datagram?: boolean;
}
