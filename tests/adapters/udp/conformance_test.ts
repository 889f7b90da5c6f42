// The adapter conformance suite over UDP, through the real client protocol
// (tokens, acknowledgements, retransmission). The skipped cases are about
// streams or connections, which datagrams do not have; their UDP
// counterparts are in tests/adapters/udp/listen_test.ts and
// tests/core/datagram/server_test.ts.

import { runAdapterSuite, startServer } from "../_conformance.ts";
import { UdpTestClient } from "../_udp.ts";

runAdapterSuite({
  name: "udp",
  start: (o) => startServer({ transports: ["udp"], port: 0, ...o }),
  connectClient: (s) => UdpTestClient.connect(s.listeners[0]!.url),
  skip: [
    // No connection to lose: a member that goes away without LEAVE leaves
    // with reason timeout (udp_test.ts: "a silent member times out").
    "joined and left notices",
    // One datagram holds at most --datagram-size bytes: a thousand messages
    // cannot be one write (datagram_server_test.ts sends them packed).
    "a thousand pipelined messages arrive whole and in order",
    // Frame size and framing errors: a datagram that is not whole frames is
    // refused whole, not fatal to a session (udp_test.ts: garbage).
    "a frame over the size limit, before joining",
    "a frame over the size limit, from a member",
    "a frame of exactly the size limit is read",
    "a bad magic byte between frames",
    "a configured frame size limit",
    // A UDP session exists only after its HELLO: nothing can come first.
    "a frame before HELLO",
    // The datagram limit comes before the message limit (the client says
    // DATAGRAM_TOO_LARGE; datagram_server_test.ts).
    "a message over the message limit",
    // Streams only.
    "a frame split into single bytes",
    "a connection closed in the middle of a frame",
    // No reading to stop: UDP does not push back, datagrams are dropped
    // and counted by the client as lost (udp_test.ts).
    "a member that stops reading is cut off as a slow consumer",
    "shutdown does not wait for a member that stopped reading",
    // bob.close() without LEAVE is a timeout on UDP, not a disconnect
    // (the SERVER_FULL refusal itself: udp_test.ts).
    "connections over the limit are refused",
  ],
});
