/**
 * Conformance cases: framing on a stream (docs/protocol.md, 1 and 2), with
 * the frame limit the server announced in HELLO_OK: a header over the limit
 * is judged before its payload, a frame of exactly the limit is read, a bad
 * magic byte breaks the stream, and stream boundaries mean nothing. Over
 * UDP a datagram that is not whole frames is refused whole, not fatal to a
 * session (cases_udp_opening.ts).
 *
 * @module
 */

import { encodeFrame, FrameType } from "../../core/codec/mod.ts";
import { badInput, says, strangerSends } from "./bad_input.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent, type Harness } from "./harness.ts";
import { rawFrame } from "./wire.ts";

const SAY = FrameType.SAY;
const STREAM = ["stream"] as const;

/** The header of a SAY one byte over the server's frame limit. */
function oversizeHeader(h: Harness): Uint8Array {
  return rawFrame(SAY, new Uint8Array(0), h.limits.maxFrame - 6 + 1);
}

/** The framing cases. */
export const FRAMING_CASES: readonly ConformanceCase[] = [
  {
    // Only the header is sent: the server must judge it without the payload.
    name: "a frame over the size limit, before joining",
    on: STREAM,
    ...says(
      "2",
      "`6 + length > max_frame` it sends a fatal ERROR `FRAME_TOO_LARGE`",
    ),
    fn: (h) => strangerSends(h, oversizeHeader, "FRAME_TOO_LARGE", true),
  },
  badInput(
    "a frame over the size limit, from a member",
    oversizeHeader,
    "FRAME_TOO_LARGE",
    true,
    { on: STREAM },
  ),
  {
    name: "a frame of exactly the size limit is read",
    on: STREAM,
    ...says("2", "a frame of exactly `max_frame` bytes is accepted"),
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      const text = "x".repeat(h.limits.maxFrame - 6 - 2);
      mal!.send({ type: "say", text });
      await h.expectError(mal!, "MESSAGE_TOO_LONG", false);
      await h.barrier(mal!, [amy!], "mal");
    },
  },
  badInput(
    "a bad magic byte between frames",
    new Uint8Array([0x00, 0x03, 0, 0, 0, 0]),
    "FRAME_MALFORMED",
    true,
    {
      on: STREAM,
      ...says(
        "2",
        "the server sends a fatal ERROR `FRAME_MALFORMED` and closes the connection",
      ),
    },
  ),
  {
    name: "a frame split into single bytes",
    ...says("1", "Stream boundaries mean nothing"),
    on: STREAM,
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const bytes = encodeFrame({ type: "say", text: "slow 慢" });
      for (const b of bytes) bob!.sendRaw(new Uint8Array([b]));
      await expectEvent(amy!, {
        type: "message",
        room: h.room(),
        from: "bob",
        text: "slow 慢",
      });
    },
  },
  {
    name: "a connection closed in the middle of a frame",
    ...says("7", "The connection went away without LEAVE"),
    on: STREAM,
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      mal!.sendRaw(encodeFrame({ type: "say", text: "cut" }).subarray(0, 7));
      await mal!.close();
      await expectEvent(amy!, {
        type: "left",
        room: h.room(),
        name: "mal",
        reason: "disconnect",
      });
    },
  },
];
