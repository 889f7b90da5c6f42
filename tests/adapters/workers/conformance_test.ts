// The adapter conformance suite over TCP against `serve --workers 2`: two
// Workers listening on one port, sharing rooms through the isolates
// backplane. Each client's connection lands on a Worker the kernel picks,
// so the cases' members are spread over both (a member that resumes over
// the Workers' WebSocket may come back on the other one: the histories,
// resumes and the connection limit are the process's).

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
        // HTTP for the resume case's WebSocket; clients connect over TCP.
        transports: ["tcp", "http"],
        port: 0,
        http: { port: 0, adminToken: "workers-suite-admin-token" },
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
});
