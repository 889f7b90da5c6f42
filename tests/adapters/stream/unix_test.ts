// The transport suite over a Unix domain socket: the cases that need a hand
// on the server (the kit's wire cases run over Unix sockets in
// tests/adapters/conformance/, with the same stream client).

import {
  connectStream,
  runAdapterSuite,
  startServer,
} from "../_conformance.ts";

runAdapterSuite({
  name: "unix",
  start: async (o) => {
    const dir = await Deno.makeTempDir({ prefix: "roomcast-test-" });
    return startServer(
      { transports: ["unix"], socketPath: `${dir}/chat.sock`, ...o },
      dir,
    );
  },
  connectClient: (s) => connectStream(s.listeners[0]!.url),
  wire: "stream",
  kitCases: false,
});
