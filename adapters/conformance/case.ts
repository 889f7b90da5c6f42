/**
 * A conformance case: a name, the transports it applies to, the statements
 * of docs/protocol.md it checks (quoted, so that tests/docs_test.ts can
 * tell when the document no longer says them), and the check itself.
 *
 * @module
 */

import type { Harness } from "./harness.ts";

/** Where a case applies: stream transports (TCP, Unix), UDP, or both. */
export type Wire = "stream" | "udp";

/** A statement of docs/protocol.md that a case checks. */
export interface Spec {
  /** Its section: `5.1`, `12.6` (a heading that starts with this number). */
  readonly section: string;
  /** Words the section says, quoted exactly (line breaks as spaces). */
  readonly says: string;
}

/** One check of a server against docs/protocol.md. */
export interface ConformanceCase {
  /** What it checks, as the result table shows it. */
  readonly name: string;
  /** Where it applies. @default {["stream", "udp"]} */
  readonly on?: readonly Wire[];
  /** The statements it checks. */
  readonly spec?: readonly Spec[];
  /** The check: throws (an assertion) when the server does not conform. */
  fn(h: Harness): Promise<void>;
}

/** The wire of a transport: `udp`, or `stream` for the others. */
export function wireOf(transport: string): Wire {
  return transport === "udp" ? "udp" : "stream";
}

/** True when a case applies to a transport's wire. */
export function appliesTo(c: ConformanceCase, transport: string): boolean {
  return (c.on ?? ["stream", "udp"]).includes(wireOf(transport));
}
