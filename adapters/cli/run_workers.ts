// deno-lint-ignore-file no-console
/**
 * What `cli.ts serve --workers N` runs (N > 1): the admin token loaded once
 * for every Worker, the Workers (adapters/workers/), shutdown on SIGINT
 * and SIGTERM once every Worker has told its members, and the console,
 * which announces through the Workers.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { loadAdminToken } from "../http/mod.ts";
import { runStdinConsole, type ServeOptions } from "../server/mod.ts";
import { serveWorkers } from "../workers/mod.ts";

/** The flags of `cli.ts serve` that Workers use beyond the server options. */
export interface WorkerFlags {
  /** `--workers`: how many. */
  workers: number;
  /** `--lease`: the Workers' (and the cluster's) lease, in seconds. */
  lease: number;
  /** `--admin-token-file`: the admin token's file. */
  adminTokenFile?: string | undefined;
  /** `--redis`: the Redis URL of a cluster. */
  redis?: string | undefined;
  /** `--redis-optional`: start when Redis cannot be reached. */
  redisOptional?: true | undefined;
  /** `--quiet`: log only errors. */
  quiet?: true | undefined;
}

/**
 * Run Workers until SIGINT or SIGTERM; exit 1 when they cannot start.
 *
 * @param o The flags.
 * @param options The server options of the flags.
 * @param log The log.
 * @param banner Shows where to connect, once the Workers listen.
 */
export async function runWorkers(
  o: WorkerFlags,
  options: Omit<ServeOptions, "log" | "backplane">,
  log: (record: LogRecord) => void,
  banner: (listeners: readonly { transport: string; url: string }[]) => void,
): Promise<void> {
  const fail = (message: string): never => {
    console.error(`error: ${message}`);
    Deno.exit(1);
  };
  if (typeof Deno.openKv !== "function") {
    fail(
      "Cannot serve with --workers: the Workers share rooms through Deno KV, which needs --unstable-kv (and --unstable-net, for shared ports); deno task serve has both",
    );
  }
  let http = options.http;
  if (options.transports?.includes("http")) {
    try {
      const admin = await loadAdminToken({
        token: Deno.env.get("CHAT_ADMIN_TOKEN"),
        file: o.adminTokenFile,
      });
      log({
        event: "admin_token",
        source: admin.source,
        ...(admin.path ? { file: admin.path } : {}),
      });
      http = { ...http, adminToken: admin.token, adminTokenFile: undefined };
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  }
  const redisUrl = o.redis ?? (Deno.env.get("CHAT_REDIS_URL") || undefined);
  let server;
  try {
    server = await serveWorkers({
      workers: o.workers,
      serve: { ...options, ...(http ? { http } : {}) },
      leaseMs: Math.round(o.lease * 1000),
      ...(redisUrl
        ? {
          redis: {
            url: redisUrl,
            leaseMs: Math.round(o.lease * 1000),
            optional: o.redisOptional ?? false,
          },
        }
        : {}),
      log,
      quiet: o.quiet ?? false,
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  banner(server.listeners);
  const stop = async () => {
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  runStdinConsole(server, (line) => log({ event: "console", result: line }))
    .then(() =>
      log({ event: "console", result: "end of input; still serving" })
    );
}
