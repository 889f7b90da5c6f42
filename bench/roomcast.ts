/**
 * roomcast as the bench runs it: `serve` as its own process (or two of them
 * sharing rooms through redis-server), with the per-member rate limit off
 * because the peers have none.
 *
 * @module
 */

import {
  freePort,
  output,
  ROOT,
  type Running,
  spawnServer,
  started,
  type Target,
} from "./servers.ts";

/** How to run roomcast. */
export interface RoomcastOptions {
  /** The roomcast checkout whose cli.ts runs (default: this one). */
  dir?: string;
  /** Name in tables (default `roomcast`). */
  label?: string;
  /** Extra flags for `deno run`, such as `--v8-flags=...`. */
  denoFlags?: readonly string[];
  /** Extra flags for `serve`. */
  serveArgs?: readonly string[];
}

/**
 * A roomcast server over one transport. `serve` runs as its own process
 * with the rate limit off (the peers have none).
 *
 * @param transport `tcp` or `unix`.
 * @param options Checkout, label and extra flags.
 * @returns The target.
 */
export function roomcastTarget(
  transport: "tcp" | "unix",
  options: RoomcastOptions = {},
): Target {
  const root = options.dir ?? ROOT.pathname;
  return {
    name: `${options.label ?? "roomcast"}/${transport}`,
    proto: "roomcast",
    transport,
    async start() {
      const denoFlags = options.denoFlags ?? [];
      const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-" });
      const port = freePort();
      const socket = `${dir}/roomcast.sock`;
      const child = spawnServer(Deno.execPath(), [
        "run",
        "-A",
        ...denoFlags,
        "cli.ts",
        "serve",
        "--transport",
        transport,
        "--port",
        String(port),
        "--socket",
        socket,
        "--rate",
        "0",
        "--max-connections",
        "20000",
        "--quiet",
        ...(options.serveArgs ?? []),
      ], root);
      const addr = transport === "tcp"
        ? `tcp:127.0.0.1:${port}`
        : `unix:${socket}`;
      const probe = transport === "tcp"
        ? { hostname: "127.0.0.1", port }
        : { transport: "unix" as const, path: socket };
      return await started(child, [addr], probe, "roomcast", dir);
    },
    version: () => output(Deno.execPath(), ["--version"]),
  };
}

/**
 * Two roomcast nodes sharing their rooms through one redis-server (`serve
 * --redis`). The generator puts members on both nodes in turn (senders too),
 * so half of every fan-out crosses Redis. CPU time and RSS are summed over
 * both nodes and redis-server.
 *
 * @param redis The target that starts redis-server.
 * @param options Checkout, label and extra flags for both nodes.
 * @returns The target, named `roomcast-2node/tcp`.
 */
export function roomcastClusterTarget(
  redis: Target,
  options: RoomcastOptions = {},
): Target {
  return {
    name: `${options.label ?? "roomcast"}-2node/tcp`,
    proto: "roomcast",
    transport: "tcp",
    async start(): Promise<Running> {
      const r = await redis.start();
      const url = `redis://${r.addrs[0]!.replace(/^tcp:/, "")}`;
      const running: Running[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          running.push(
            await roomcastTarget("tcp", {
              ...options,
              serveArgs: [...(options.serveArgs ?? []), "--redis", url],
            }).start(),
          );
        }
      } catch (e) {
        for (const n of running) await n.stop();
        await r.stop();
        throw e;
      }
      return {
        addrs: running.flatMap((n) => n.addrs),
        pids: [...running.flatMap((n) => n.pids), ...r.pids],
        async stop() {
          for (const n of running) await n.stop();
          await r.stop();
        },
      };
    },
    version: () => output(Deno.execPath(), ["--version"]),
  };
}
