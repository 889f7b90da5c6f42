/**
 * How the bad-input cases send bad bytes and check what follows
 * (cases_bad_input.ts, cases_framing.ts): a member or a connection that
 * never joined sends them, gets a coded error (fatal where the stream can
 * no longer be trusted), and nobody else notices anything beyond, for a
 * fatal error, the sender's ordinary `left` (disconnect).
 *
 * @module
 */

import type { ErrorCodeName } from "../../core/errors.ts";
import type { ConformanceCase, Spec, Wire } from "./case.ts";
import { expectEvent, type Harness } from "./harness.ts";

/** Bytes, or bytes that depend on what the server announced. */
export type Bytes = Uint8Array | ((h: Harness) => Uint8Array);

/**
 * A joined member "mal" sends `bytes`; amy and bob watch. Non-fatal: mal is
 * told, nobody else hears a thing, and mal can still talk. Fatal: mal is
 * told and cut off; amy and bob see only mal leave.
 */
export async function joinedSends(
  h: Harness,
  bytes: Bytes,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const [amy, bob, mal] = await h.members("amy", "bob", "mal");
  mal!.sendRaw(typeof bytes === "function" ? bytes(h) : bytes);
  if (fatal) {
    await h.expectFatal(mal!, code);
    for (const c of [amy!, bob!]) {
      await expectEvent(c, {
        type: "left",
        room: h.room(),
        name: "mal",
        reason: "disconnect",
      });
    }
    await h.barrier(amy!, [bob!], "amy");
  } else {
    await h.expectError(mal!, code, false);
    await h.barrier(mal!, [amy!, bob!], "mal");
  }
}

/** A connection that said HELLO but never joined sends `bytes`. */
export async function strangerSends(
  h: Harness,
  bytes: Bytes,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const [amy, bob] = await h.members("amy", "bob");
  const c = await h.hello();
  c.sendRaw(typeof bytes === "function" ? bytes(h) : bytes);
  if (fatal) await h.expectFatal(c, code);
  else await h.expectError(c, code, false);
  await h.barrier(amy!, [bob!], "amy");
}

/** A case: a joined member sends `bytes` and gets `code`. */
export function badInput(
  name: string,
  bytes: Bytes,
  code: ErrorCodeName,
  fatal: boolean,
  more: { on?: readonly Wire[]; spec?: readonly Spec[] } = {},
): ConformanceCase {
  return { name, ...more, fn: (h) => joinedSends(h, bytes, code, fatal) };
}

/** One statement of a section, as a case's `spec`. */
export function says(section: string, words: string): { spec: Spec[] } {
  return { spec: [{ section, says: words }] };
}
