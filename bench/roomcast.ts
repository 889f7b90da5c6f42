/**
 * roomcast as the bench runs it: `serve` as its own process (or two of them
 * sharing rooms through redis-server, or one with N Workers), with the
 * per-member rate limit off because the peers have none. Over TCP, Unix
 * sockets, UDP (`udp`, also with the per-address datagram rate limit off)
 * and the WebSocket of the HTTP transport (`ws-json`, `ws-batch`,
 * `ws-binary`: one per subprotocol); and the WebSocket of `deno serve
 * --parallel` (serverless mode) with N isolates.
 *
 * @module
 */

import dgram from "node:dgram";
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
  /** Workers (`serve --workers N`); 1: the single-thread server. */
  workers?: number;
}

/**
 * The transports a single roomcast server is measured over; over the
 * WebSocket, one per subprotocol (docs/http.md §5): `ws-json` one JSON
 * object per message (roomcast.v1), `ws-batch` a JSON array per message,
 * `ws-binary` binary frames.
 */
export type RoomcastTransport =
  | "tcp"
  | "unix"
  | "udp"
  | "ws-json"
  | "ws-batch"
  | "ws-binary";

/** The WebSocket transports, one per subprotocol. */
export const WS_TRANSPORTS = ["ws-json", "ws-batch", "ws-binary"] as const;

/**
 * Wait until a UDP server answers: a datagram that is not whole frames gets
 * a bare FRAME_MALFORMED ERROR back (docs/protocol.md 12.7) and opens no
 * session.
 */
async function waitUdp(
  port: number,
  child: Deno.ChildProcess,
): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const socket = dgram.createSocket("udp4");
  socket.on("error", () => {}); // an ICMP "unreachable" before the bind
  let answered = false;
  socket.on("message", () => answered = true);
  try {
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const probe = new Uint8Array(64);
    probe.set([0xab, 0x03, 0, 0, 0, 0xff]); // a SAY cut short
    const until = Date.now() + 15_000;
    while (!answered) {
      if (exited) throw new Error("Cannot start roomcast: it exited at once");
      if (Date.now() > until) {
        throw new Error("Cannot start roomcast: no UDP answer after 15 s");
      }
      socket.send(probe, port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/**
 * The `--v8-flags=...` of the checkout's `serve` task in deno.json, so the
 * bench runs the server as `deno task serve` does.
 *
 * @param root The checkout.
 * @returns The flags (none when the task has none).
 */
export async function serveTaskV8Flags(root: string): Promise<string[]> {
  try {
    const config = JSON.parse(
      await Deno.readTextFile(`${root.replace(/\/$/, "")}/deno.json`),
    ) as { tasks?: Record<string, string> };
    return (config.tasks?.serve ?? "").split(/\s+/)
      .filter((a) => a.startsWith("--v8-flags="));
  } catch {
    return [];
  }
}

/**
 * A roomcast server over one transport. `serve` runs as its own process
 * with the rate limit off (the peers have none); over UDP the datagram rate
 * limit per address and session (`--udp-rate`) is off too, and over the
 * WebSocket (`ws-*`) the HTTP transport serves `GET /api/ws`.
 *
 * @param transport `tcp`, `unix`, `udp`, `ws-json`, `ws-batch` or `ws-binary`.
 * @param options Checkout, label and extra flags.
 * @returns The target.
 */
export function roomcastTarget(
  transport: RoomcastTransport,
  options: RoomcastOptions = {},
): Target {
  const root = options.dir ?? ROOT.pathname;
  const workers = options.workers ?? 1;
  const label = (options.label ?? "roomcast") +
    (workers > 1 ? `-w${workers}` : "");
  const ws = transport.startsWith("ws-");
  return {
    name: `${label}/${transport}`,
    proto: "roomcast",
    transport,
    ...(ws ? { loadgenArgs: ["--ws-protocol", transport.slice(3)] } : {}),
    async start() {
      // The runtime flags `deno task serve` gives the server (its V8 heap
      // settings), then any given for this run.
      const denoFlags = [
        ...(await serveTaskV8Flags(root)),
        ...(options.denoFlags ?? []),
      ];
      const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-" });
      const port = freePort();
      const socket = `${dir}/roomcast.sock`;
      const serveArgs: string[] = [];
      if (transport === "udp") serveArgs.push("--udp-rate", "0");
      if (ws) {
        const tokenFile = `${dir}/admin.token`;
        await Deno.writeTextFile(tokenFile, crypto.randomUUID() + "\n", {
          mode: 0o600,
        });
        serveArgs.push("--http-port", String(port));
        serveArgs.push("--admin-token-file", tokenFile);
      }
      if (workers > 1) serveArgs.push("--workers", String(workers));
      const child = spawnServer(Deno.execPath(), [
        "run",
        "-A",
        ...(workers > 1 ? ["--unstable-kv", "--unstable-net"] : []),
        ...denoFlags,
        "cli.ts",
        "serve",
        "--transport",
        ws ? "http" : transport,
        "--port",
        String(port),
        "--socket",
        socket,
        "--rate",
        "0",
        "--max-connections",
        "20000",
        ...serveArgs,
        "--quiet",
        ...(options.serveArgs ?? []),
      ], root);
      const addr = transport === "unix"
        ? `unix:${socket}`
        : `${ws ? "ws" : transport}:127.0.0.1:${port}`;
      const probe = transport === "udp"
        ? (c: Deno.ChildProcess) => waitUdp(port, c)
        : transport === "unix"
        ? { transport: "unix" as const, path: socket }
        : { hostname: "127.0.0.1", port };
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

/**
 * Serverless mode: `deno serve --parallel --unstable-kv adapters/http/app.ts`
 * with `isolates` isolates (`DENO_JOBS`), measured over the WebSocket of
 * `GET /api/ws` (the only transport of `deno serve`) in the binary
 * subprotocol, with the rate limit off (`CHAT_RATE=0`). Named
 * `roomcast-serverless-N/ws-binary`.
 *
 * @param isolates How many isolates.
 * @param options Checkout, label and extra `deno serve` flags.
 * @returns The target.
 */
export function roomcastServerlessTarget(
  isolates: number,
  options: RoomcastOptions = {},
): Target {
  const root = options.dir ?? ROOT.pathname;
  return {
    name: `${options.label ?? "roomcast"}-serverless-${isolates}/ws-binary`,
    proto: "roomcast",
    transport: "ws-binary",
    loadgenArgs: ["--ws-protocol", "binary"],
    async start() {
      const denoFlags = [
        ...(await serveTaskV8Flags(root)),
        ...(options.denoFlags ?? []),
      ];
      const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-" });
      const port = freePort();
      const child = spawnServer(
        Deno.execPath(),
        [
          "serve",
          "--parallel",
          "--unstable-kv",
          "-A",
          ...denoFlags,
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "adapters/http/app.ts",
        ],
        root,
        {
          ...Deno.env.toObject(),
          DENO_JOBS: String(isolates),
          CHAT_ADMIN_TOKEN: crypto.randomUUID(),
          CHAT_RATE: "0",
          CHAT_MAX_CONNECTIONS: "20000",
          CHAT_QUIET: "1",
        },
      );
      return await started(
        child,
        [`ws:127.0.0.1:${port}`],
        { hostname: "127.0.0.1", port },
        "roomcast (deno serve)",
        dir,
      );
    },
    version: () => output(Deno.execPath(), ["--version"]),
  };
}
