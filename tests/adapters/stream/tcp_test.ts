// The adapter conformance suite over TCP.

import {
  connectStream,
  runAdapterSuite,
  startServer,
} from "../_conformance.ts";

runAdapterSuite({
  name: "tcp",
  start: (o) => startServer({ transports: ["tcp"], port: 0, ...o }),
  connectClient: (s) => connectStream(s.listeners[0]!.url),
});
