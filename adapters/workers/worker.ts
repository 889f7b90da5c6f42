/**
 * The entry of one Worker of `serve --workers N` (adapters/workers/
 * serve_workers.ts starts it): a chat server on the isolates backplane
 * (adapters/isolates/), its TCP and HTTP listeners sharing their ports with
 * the other Workers (`SO_REUSEPORT`). With Redis, the Worker is a node of
 * the Redis cluster, and the isolates only carry HTTP sessions' requests
 * to the Worker that holds them.
 *
 * @module
 */

import { ConnectionGate } from "../connection_gate.ts";
import type { Backplane } from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { IsolateBackplane } from "../isolates/mod.ts";
import { serve, type Server } from "../server/mod.ts";
import type { FromWorker, ToWorker, WorkerStart } from "./messages.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
}

const scope = globalThis as unknown as WorkerScope;
let server: Server | undefined;
let link: IsolateBackplane | undefined;

scope.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "start") {
    try {
      server = await start(m);
      scope.postMessage({
        type: "started",
        listeners: server.listeners.map((l) => ({
          transport: l.transport,
          url: l.url,
        })),
      });
    } catch (error) {
      scope.postMessage({
        type: "failed",
        error: error instanceof Error ? error.message : String(error),
      });
    }
  } else if (m.type === "port") {
    link?.link.addPort(m.port);
  } else if (m.type === "announce" && server) {
    const result = await server.chat.announceCounted(m.text);
    scope.postMessage({ type: "announced", id: m.id, result });
  } else if (m.type === "shutdown") {
    await server?.shutdown();
    // With Redis the chat's backplane is Redis: the link closes here.
    if (link && server?.chat.backplane !== link) await link.close();
    scope.postMessage({ type: "stopped" });
  }
};

async function start(m: WorkerStart): Promise<Server> {
  const log = (record: LogRecord) => {
    if (m.quiet && record.event !== "error") return;
    scope.postMessage({ type: "log", record });
  };
  link = await IsolateBackplane.connect({
    path: m.store.path,
    channel: m.store.channel,
    ports: m.ports,
    leaseMs: m.leaseMs,
    log,
  });
  let backplane: Backplane = link;
  if (m.redis) {
    // Loaded only for a cluster, as in cli.ts serve.
    const { RedisBackplane } = await import("../redis/mod.ts");
    backplane = await RedisBackplane.connect({ ...m.redis, log });
  }
  try {
    return await serve({
      ...m.serve,
      backplane,
      reusePort: true,
      ...(m.gateCounters
        ? { gate: new ConnectionGate({ counters: m.gateCounters }) }
        : {}),
      log,
      http: { ...m.serve.http, isolates: link.link },
    });
  } catch (e) {
    await backplane.close();
    if (backplane !== link) await link.close();
    throw e;
  }
}
