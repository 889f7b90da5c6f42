// The adapter conformance suite over a Unix domain socket.

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
});
