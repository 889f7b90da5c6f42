/**
 * `serve --workers N`: one chat served by N Workers (isolates on their own
 * threads), so that fan-out runs on every core. The Workers share rooms
 * through the isolates backplane (adapters/isolates/). TCP and HTTP
 * listen in every Worker on the same port (`SO_REUSEPORT`: the kernel
 * spreads connections); the Unix socket and UDP listen in Worker 0 only
 * (the _listener Worker_): Deno cannot hand a listening socket to another
 * isolate, and a UDP session must stay where its address sends. This
 * thread starts the Workers (Worker 0 first, to learn the ports when 0 was
 * asked), holds the instance's store, announces what the console says
 * through Worker 0, starts a Worker again when one dies, and at shutdown
 * has every Worker tell its members before it removes the store.
 *
 * @module
 */

import type { AnnounceResult, LogRecord } from "../../core/chat.ts";
import { openIsolateStore } from "../isolates/mod.ts";
import { ConnectionGate, GATE_COUNTERS } from "../connection_gate.ts";
import { ASSUMED_OPEN } from "../descriptors.ts";
import { DEFAULT_LIMITS } from "../../core/limits.ts";
import { capConnections } from "../server/mod.ts";
import type {
  FromWorker,
  ListenerInfo,
  WorkerServeOptions,
  WorkerStart,
} from "./messages.ts";

/** Transports every Worker serves; the others are served by Worker 0. */
const SHARED = new Set(["tcp", "http"]);
/**
 * Longest wait for a Worker to start, in ms (generous: under `deno test` a
 * Worker's modules are type-checked when it starts).
 */
const START_WAIT_MS = 60_000;
/** Longest wait for a Worker to tell its members and stop, in ms. */
const STOP_WAIT_MS = 10_000;
/** Wait before a Worker that died is started again, in ms. */
const RESTART_MS = 1000;

/** Options of {@link serveWorkers}. */
export interface WorkersOptions {
  /** How many Workers (>= 1). */
  workers: number;
  /** The server each runs (ports 0 are picked by Worker 0, then shared). */
  serve: WorkerServeOptions;
  /** The isolates' lease, in ms. @default {10000} */
  leaseMs?: number;
  /** Share rooms with other nodes through Redis (each Worker is a node). */
  redis?: { url: string; leaseMs: number; optional: boolean };
  /** Receives the Workers' records (with `worker`) and this thread's. */
  log?: (record: LogRecord) => void;
  /** The Workers keep their records but errors to themselves. @default {false} */
  quiet?: boolean;
}

/** A running group of Workers. */
export interface WorkerServer {
  /** How many Workers serve. */
  readonly workers: number;
  /** Where clients connect (Worker 0's listeners; TCP and HTTP are shared). */
  readonly listeners: readonly ListenerInfo[];
  /** Announce to every room, counted on every Worker. */
  announceCounted(text: string): Promise<AnnounceResult>;
  /**
   * Have every Worker tell its members and close, then end the Workers and
   * remove the store.
   */
  shutdown(): Promise<void>;
}

/** One Worker and what it is waiting to hear. */
class Member {
  worker: Worker;
  readonly #waiting = new Map<string, (m: FromWorker) => void>();
  #announces = new Map<number, (r: AnnounceResult) => void>();
  #next = 1;

  constructor(
    readonly start: Omit<WorkerStart, "ports">,
    readonly onLog: (record: LogRecord) => void,
    readonly onDeath: (error: string) => void,
    ports: MessagePort[],
  ) {
    this.worker = this.#spawn(ports);
  }

  #spawn(ports: MessagePort[]): Worker {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
    });
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === "log") return this.onLog(m.record);
      if (m.type === "announced") {
        this.#announces.get(m.id)?.(m.result);
        this.#announces.delete(m.id);
        return;
      }
      const wait = this.#waiting.get(m.type === "failed" ? "started" : m.type);
      wait?.(m);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      this.onDeath(e.message);
    };
    worker.postMessage({ ...this.start, ports }, ports);
    return worker;
  }

  /** Start again after a death, with new ports to the others. */
  respawn(ports: MessagePort[]): Promise<FromWorker> {
    this.worker.terminate();
    const started = this.until("started");
    this.worker = this.#spawn(ports);
    return started;
  }

  until(type: "started" | "stopped"): Promise<FromWorker> {
    const ms = type === "started" ? START_WAIT_MS : STOP_WAIT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(type);
        reject(new Error(`no answer from a Worker within ${ms} ms`));
      }, ms);
      this.#waiting.set(type, (m) => {
        clearTimeout(timer);
        this.#waiting.delete(type);
        resolve(m);
      });
    });
  }

  announce(text: string): Promise<AnnounceResult> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#announces.set(id, resolve);
      this.worker.postMessage({ type: "announce", id, text });
    });
  }
}

/**
 * Start N Workers serving one chat.
 *
 * @param options Workers, server options, lease, Redis and log.
 * @returns The running group.
 * @throws {Error} When a Worker cannot start (those started are stopped).
 * @example
 * ```ts ignore
 * const server = await serveWorkers({ workers: 2, serve: { transports: ["tcp"], port: 0 } });
 * console.log(server.listeners[0]?.url);
 * await server.shutdown();
 * ```
 */
export async function serveWorkers(
  options: WorkersOptions,
): Promise<WorkerServer> {
  const store = await openIsolateStore();
  const log = options.log ?? (() => {});
  const members: Member[] = [];
  let stopping = false;
  const transports = options.serve.transports ?? ["tcp", "unix", "http"];
  // A MessageChannel between every two Workers: their events cross there.
  const ports: MessagePort[][] = Array.from(
    { length: options.workers },
    () => [],
  );
  for (let i = 0; i < options.workers; i++) {
    for (let j = i + 1; j < options.workers; j++) {
      const { port1, port2 } = new MessageChannel();
      ports[i]!.push(port1);
      ports[j]!.push(port2);
    }
  }
  // One descriptor gate for the process, its counters shared by the
  // Workers; its capacity is set here, once (adapters/server/connection_cap.ts).
  const gateCounters = new Int32Array(
    new SharedArrayBuffer(4 * GATE_COUNTERS),
  );
  const startOf = (
    index: number,
    serve: WorkerServeOptions,
  ): Omit<WorkerStart, "ports"> => ({
    type: "start",
    index,
    gateCounters,
    serve: {
      ...serve,
      transports: index === 0
        ? transports
        : transports.filter((t) => SHARED.has(t)),
    },
    store: { path: store.path, channel: store.channel },
    leaseMs: options.leaseMs ?? 10_000,
    quiet: options.quiet ?? false,
    ...(options.redis ? { redis: options.redis } : {}),
  });
  const launch = async (index: number, serve: WorkerServeOptions) => {
    const member: Member = new Member(
      startOf(index, serve),
      (record) => {
        // This thread says once what every Worker would say alike.
        if (["listen", "admin_token", "stopped"].includes(record.event)) return;
        log({ ...record, worker: index });
      },
      (error) => {
        log({ event: "error", worker: index, message: error });
        if (stopping) return;
        setTimeout(() => {
          if (stopping) return;
          log({ event: "worker_restart", worker: index });
          // New ports between the new Worker and each other one.
          const mine: MessagePort[] = [];
          for (const other of members) {
            if (other === member) continue;
            const { port1, port2 } = new MessageChannel();
            other.worker.postMessage({ type: "port", port: port1 }, [port1]);
            mine.push(port2);
          }
          member.respawn(mine).catch((e) =>
            log({ event: "error", worker: index, message: String(e) })
          );
        }, RESTART_MS);
      },
      ports[index]!,
    );
    members.push(member);
    const answer = await member.until("started");
    if (answer.type === "failed") throw new Error(answer.error);
    return answer.type === "started" ? answer.listeners : [];
  };
  let listeners: ListenerInfo[];
  try {
    listeners = await launch(0, options.serve);
    const shared = portsOf(listeners);
    const serve: WorkerServeOptions = {
      ...options.serve,
      ...(shared.tcp !== undefined ? { port: shared.tcp } : {}),
      http: {
        ...options.serve.http,
        ...(shared.http !== undefined ? { port: shared.http } : {}),
      },
    };
    const rest = [];
    for (let i = 1; i < options.workers; i++) rest.push(launch(i, serve));
    await Promise.all(rest);
  } catch (e) {
    stopping = true;
    await stopAll(members);
    await store.release();
    throw e;
  }
  log({
    event: "workers",
    count: options.workers,
    store: store.path,
  });
  for (const l of listeners) {
    log({ event: "listen", transport: l.transport, url: l.url });
  }
  // What the descriptor limit leaves once every Worker listens: each holds
  // listeners and the shared store of its own, about 16 more.
  await capConnections(
    new ConnectionGate({ counters: gateCounters }),
    options.serve.limits?.maxConnections ?? DEFAULT_LIMITS.maxConnections,
    log,
    ASSUMED_OPEN + 16 * options.workers,
  );
  let stopped: Promise<void> | undefined;
  return {
    workers: options.workers,
    listeners,
    announceCounted: (text) => members[0]!.announce(text),
    shutdown() {
      return stopped ??= (async () => {
        stopping = true;
        await stopAll(members);
        await store.release();
        log({ event: "stopped" });
      })();
    },
  };
}

/** Tell every Worker to stop, wait (bounded), then end them. */
async function stopAll(members: readonly Member[]): Promise<void> {
  await Promise.all(members.map(async (m) => {
    const stopped = m.until("stopped").catch(() => {});
    m.worker.postMessage({ type: "shutdown" });
    await stopped;
    m.worker.terminate();
  }));
}

/** The TCP and HTTP ports in Worker 0's listeners. */
function portsOf(
  listeners: readonly ListenerInfo[],
): { tcp?: number; http?: number } {
  const port = (t: string) => {
    const url = listeners.find((l) => l.transport === t)?.url;
    return url === undefined ? undefined : Number(new URL(url).port);
  };
  const tcp = port("tcp"), http = port("http");
  return {
    ...(tcp !== undefined ? { tcp } : {}),
    ...(http !== undefined ? { http } : {}),
  };
}
