// The transport suite over UDP, through roomcast's own client protocol
// (core/datagram/client.ts: tokens, acknowledgements, retransmission): the
// kit's chat, framing and bad-input cases (the kit runs them with its own client in
// tests/adapters/conformance/), and the cases that need a hand on the
// server. The kit's stream-only cases are left out by their `on`; the
// server cases skipped here are about streams or connections, which
// datagrams do not have. Their UDP counterparts are in
// tests/adapters/udp/listen_test.ts and tests/core/datagram/.

import { runAdapterSuite, startServer } from "../_conformance.ts";
import { UdpTestClient } from "../_udp.ts";

runAdapterSuite({
  name: "udp",
  start: (o) => startServer({ transports: ["udp"], port: 0, ...o }),
  connectClient: (s) => UdpTestClient.connect(s.listeners[0]!.url),
  wire: "udp",
  skip: [
    // One datagram holds at most --datagram-size bytes: a thousand messages
    // cannot be one write (tests/core/datagram/outbound_test.ts packs them).
    "a thousand pipelined messages arrive whole and in order",
    // Frame size limits: a datagram that is not whole frames is refused
    // whole, not fatal to a session (the kit's UDP cases).
    "a configured frame size limit",
    // No reading to stop: UDP does not push back, datagrams are dropped
    // and counted by the client as lost (listen_test.ts).
    "a member that stops reading is cut off as a slow consumer",
    "shutdown does not wait for a member that stopped reading",
    // bob.close() without LEAVE is a timeout on UDP, not a disconnect
    // (the SERVER_FULL refusal itself: listen_test.ts).
    "connections over the limit are refused",
  ],
});
