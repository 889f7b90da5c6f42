// The adapter conformance suite over the WebSocket of the HTTP adapter
// (GET /api/ws), once per subprotocol (docs/http.md §5): roomcast.v1 (one
// JSON object per text message), roomcast.batch.v1 (a JSON array per
// message) and roomcast.binary.v1 (binary frames, as on TCP), through a raw
// WebSocket client (tests/adapters/_ws_client.ts) that can stop reading.

import { runAdapterSuite, startServer } from "../_conformance.ts";
import { connectWs } from "../_ws_client.ts";

/** Cases about binary framing, which the JSON protocols do not have. */
const BINARY_FRAMING = [
  // Their messages are JSON text (JSON-level bad input is in ws_test.ts).
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
  // An over-size WebSocket message is refused without closing: the
  // message boundary is intact (ws_test.ts checks it).
  "a configured frame size limit",
];

/**
 * HELLO is optional on a WebSocket, in every subprotocol (there is no text
 * mode to tell apart, and no version to agree on before the first message).
 */
const HELLO_OPTIONAL = "a frame before HELLO";

const PROTOCOLS = [
  { name: "ws", protocol: "roomcast.v1", skip: BINARY_FRAMING },
  { name: "ws-batch", protocol: "roomcast.batch.v1", skip: BINARY_FRAMING },
  { name: "ws-binary", protocol: "roomcast.binary.v1", skip: [] },
];

for (const p of PROTOCOLS) {
  runAdapterSuite({
    name: p.name,
    start: (o) =>
      startServer({
        transports: ["http"],
        http: { port: 0, adminToken: "ws-suite-admin-token-0123" },
        ...o,
      }),
    connectClient: (s) =>
      connectWs(s.listeners[0]!.url, {
        protocols: [p.protocol],
      }),
    skip: [...p.skip, HELLO_OPTIONAL],
  });
}
