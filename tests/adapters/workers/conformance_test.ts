// The adapter conformance suite over TCP against `serve --workers 2`: two
// Workers listening on one port, sharing rooms through the isolates
// backplane. Each client's connection lands on a Worker the kernel picks,
// so the cases' members are spread over both.

import { serveWorkers } from "../../../adapters/workers/mod.ts";
import { connectStream, runAdapterSuite } from "../_conformance.ts";

// `deno test` type-checks a Worker's modules when the first one starts
// (seconds, once): do it before the cases' deadlines run.
await (await serveWorkers({ workers: 1, serve: { transports: [] } }))
  .shutdown();

runAdapterSuite({
  name: "workers/tcp",
  start: async (o) => {
    const server = await serveWorkers({
      workers: 2,
      serve: {
        transports: ["tcp"],
        port: 0,
        ...(o.limits ? { limits: o.limits } : {}),
        ...(o.tickMs ? { tickMs: o.tickMs } : {}),
      },
    });
    return {
      listeners: server.listeners,
      announce: (text) => server.announceCounted(text),
      shutdown: () => server.shutdown(),
      close: () => server.shutdown(),
    };
  },
  connectClient: (s) => connectStream(s.listeners[0]!.url),
  skip: [
    // A limit each Worker keeps for itself: two Workers take two each.
    "connections over the limit are refused",
    // The isolates backplane keeps each room's history on each isolate, and
    // resumes a member only on its isolate (docs/scaling.md).
    "a late joiner gets exactly the last N messages, marked as history",
    "a member cut mid-chat resumes on another transport with what it missed, once and in order",
  ],
});
