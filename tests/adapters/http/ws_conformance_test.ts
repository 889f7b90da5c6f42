// The adapter conformance suite over the WebSocket of the HTTP adapter
// (GET /api/ws): commands and events as JSON text messages, through a raw
// WebSocket client (tests/adapters/_ws_client.ts) that can stop reading.

import { runAdapterSuite, startServer } from "../_conformance.ts";
import { connectWs } from "../_ws_client.ts";

runAdapterSuite({
  name: "ws",
  start: (o) =>
    startServer({
      transports: ["http"],
      http: { port: 0, adminToken: "ws-suite-admin-token-0123" },
      ...o,
    }),
  connectClient: (s) => connectWs(s.listeners[0]!.url),
  skip: [
    // Binary framing, which a WebSocket does not have: its messages are
    // JSON text (JSON-level bad input is in http_ws_test.ts).
    "a frame over the size limit, before joining",
    "a frame over the size limit, from a member",
    "a frame of exactly the size limit is read",
    "an unknown frame type",
    "a server frame sent by a client",
    "a truncated field",
    "a missing field",
    "trailing bytes after the last field",
    "a bad magic byte between frames",
    "invalid UTF-8 in a message",
    "an encoded surrogate (CESU-8) in a message",
    "invalid UTF-8 in a name",
    "a frame split into single bytes",
    "a connection closed in the middle of a frame",
    // HELLO is optional on a WebSocket (there is no version to agree on
    // before the first JSON message).
    "a frame before HELLO",
    // An over-size WebSocket message is refused without closing: the
    // message boundary is intact (http_ws_test.ts checks it).
    "a configured frame size limit",
  ],
});
