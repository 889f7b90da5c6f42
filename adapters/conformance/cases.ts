/**
 * Every case of the conformance kit, in groups, in the order they run:
 * the handshake, the chat, names, framing and bad input with their fatal
 * flags (and the limits from HELLO_OK), text mode, the UDP rules, and UDP
 * with losses.
 *
 * @module
 */

import type { ConformanceCase } from "./case.ts";
import { BAD_INPUT_CASES } from "./cases_bad_input.ts";
import { CHAT_CASES } from "./cases_chat.ts";
import { HANDSHAKE_CASES } from "./cases_handshake.ts";
import { LOSS_CASES } from "./cases_loss.ts";
import { NAME_CASES } from "./cases_names.ts";
import { TEXT_CASES } from "./cases_text.ts";
import { FRAMING_CASES } from "./cases_framing.ts";
import { UDP_OPENING_CASES } from "./cases_udp_opening.ts";
import { UDP_RELIABILITY_CASES } from "./cases_udp_reliability.ts";

/** A named group of cases. */
export interface CaseGroup {
  /** Its name, as the result table shows it. */
  readonly name: string;
  /** Its cases. */
  readonly cases: readonly ConformanceCase[];
}

/** Every group, in the order they run. */
export const CASE_GROUPS: readonly CaseGroup[] = [
  { name: "handshake", cases: HANDSHAKE_CASES },
  { name: "chat", cases: CHAT_CASES },
  { name: "names", cases: NAME_CASES },
  { name: "framing", cases: FRAMING_CASES },
  { name: "errors", cases: BAD_INPUT_CASES },
  { name: "text", cases: TEXT_CASES },
  { name: "udp", cases: UDP_OPENING_CASES },
  { name: "udp", cases: UDP_RELIABILITY_CASES },
  { name: "loss", cases: LOSS_CASES },
];
