// The transport suite over TCP: the cases that need a hand on the server
// (the kit's wire cases run over TCP in tests/adapters/conformance/, with
// the same stream client).

import {
  connectStream,
  runAdapterSuite,
  startServer,
} from "../_conformance.ts";

runAdapterSuite({
  name: "tcp",
  start: (o) => startServer({ transports: ["tcp"], port: 0, ...o }),
  connectClient: (s) => connectStream(s.listeners[0]!.url),
  wire: "stream",
  kitCases: false,
});
