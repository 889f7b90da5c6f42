// deno-lint-ignore-file no-console
/**
 * What `cli.ts serve` runs: limits and transports from the flags, the Redis
 * backplane when asked for (loaded only then), shutdown on SIGINT and
 * SIGTERM, and the operator's console on stdin. With `--workers` above 1,
 * Workers serve (adapters/cli/run_workers.ts, loaded only then).
 *
 * @module
 */

import type { Limits } from "../../core/limits.ts";
import type { LogRecord } from "../../core/chat.ts";
import { runStdinConsole, serve, type ServeOptions } from "../server/mod.ts";
import { ListenError } from "../errors.ts";
import { formatLog, formatLogJson } from "../log.ts";
import { type BannerInfo, formatBanner } from "./banner.ts";
import { VERSION } from "./version.ts";

/** The flags of `cli.ts serve`, parsed (see `serve.ts` for each one's meaning). */
export interface ServeFlags {
  /** `--transport`: the transports to start; default tcp, unix and http. */
  transport?: string[] | undefined;
  /** `--host`: the host to bind. */
  host: string;
  /** `--port`: the TCP port, and the UDP one unless `udpPort`. */
  port: number;
  /** `--socket`: the Unix socket path. */
  socket?: string | undefined;
  /** `--max-frame`: largest frame in bytes. */
  maxFrame: number;
  /** `--max-message`: largest message text in UTF-8 bytes. */
  maxMessage: number;
  /** `--max-name`: longest name in characters. */
  maxName: number;
  /** `--no-libc-writes`: TCP writes through Deno only. */
  libcWrites?: boolean;
  /** `--outbound-bytes`: outbound buffer per member. */
  outboundBytes: number;
  /** `--join-timeout`: time to join, in seconds. */
  joinTimeout: number;
  /** `--max-connections`: most connections at once. */
  maxConnections: number;
  /** `--rate`: messages per second per member. */
  rate: number;
  /** `--burst`: messages in a burst. */
  burst: number;
  /** `--max-refusals`: refusals within 10 s before a connection is cut. */
  maxRefusals: number;
  /** `--history`: messages and announcements kept per room. */
  history: number;
  /** `--history-bytes`: bytes of history per room. */
  historyBytes: number;
  /** `--resume-grace`: seconds a member whose connection went away waits. */
  resumeGrace: number;
  /** `--replay-events`: events kept per member for a resume. */
  replayEvents: number;
  /** `--http-port`: the HTTP port. */
  httpPort: number;
  /** `--admin-token-file`: the admin token's file. */
  adminTokenFile?: string | undefined;
  /** `--allow-origin`: other web origins allowed. */
  allowOrigin?: string[] | undefined;
  /** `--allow-host`: other Host names answered. */
  allowHost?: string[] | undefined;
  /** `--http-max-body`: largest request body. */
  httpMaxBody: number;
  /** `--http-idle-timeout`: seconds before an idle HTTP session ends. */
  httpIdleTimeout: number;
  /** `--http-request-timeout`: seconds for a request to arrive. */
  httpRequestTimeout: number;
  /** `--http-keepalive`: seconds an idle HTTP connection stays open. */
  httpKeepalive: number;
  /** `--ws-idle-timeout`: seconds a silent WebSocket stays open. */
  wsIdleTimeout: number;
  /** `--sse-heartbeat`: seconds between heartbeats. */
  sseHeartbeat: number;
  /** `--udp-port`: the UDP port. */
  udpPort?: number | undefined;
  /** `--datagram-size`: largest datagram. */
  datagramSize: number;
  /** `--udp-timeout`: seconds before a silent UDP member is removed. */
  udpTimeout: number;
  /** `--udp-text-timeout`: the same for text members; 0 turns them off. */
  udpTextTimeout?: number | undefined;
  /** `--udp-rate`: datagrams per second. */
  udpRate: number;
  /** `--udp-handshakes`: UDP sessions waiting for their token. */
  udpHandshakes: number;
  /** `--udp-send-queue`: bytes waiting for the socket. */
  udpSendQueue: number;
  /** `--udp-intake`: client datagrams held while sending. */
  udpIntake: number;
  /** `--redis`: the Redis URL of a cluster. */
  redis?: string | undefined;
  /** `--redis-optional`: start when Redis cannot be reached. */
  redisOptional?: true | undefined;
  /** `--lease`: the cluster lease, in seconds. */
  lease: number;
  /** `--workers`: how many Workers serve (1: this thread alone). */
  workers: number;
  /** `--quiet`: log only errors. */
  quiet?: true | undefined;
  /** `--log`: log lines as text (`key=value`) or JSON. */
  log?: "text" | "json" | undefined;
}

/**
 * Run a server from the flags until SIGINT or SIGTERM; exit 1 when it
 * cannot start.
 *
 * @param o The flags.
 */
export async function runServe(o: ServeFlags): Promise<void> {
  const format = o.log === "json" ? formatLogJson : formatLog;
  let adminToken: BannerInfo["adminToken"];
  const notes: string[] = [];
  const log = (record: LogRecord) => {
    // The connection cap, when the descriptor limit holds fewer than
    // --max-connections, goes into the banner too.
    if (record.event === "descriptors" && record.note !== undefined) {
      notes.push(String(record.note));
    }
    if (record.event === "admin_token") {
      adminToken = {
        source: String(record.source),
        file: record.file as string | undefined,
      };
    }
    if (o.quiet && record.event !== "error") return;
    console.error(format(record));
  };
  const banner = (listeners: BannerInfo["listeners"]) => {
    if (o.quiet || o.log === "json") return;
    console.error(
      "\n" + formatBanner({ version: VERSION, listeners, adminToken, notes }),
    );
  };
  const options = serveOptionsOf(o);
  if (o.workers > 1) {
    // Loaded only for Workers: a lone server loads nothing more.
    const { runWorkers } = await import("./run_workers.ts");
    return runWorkers(o, options, log, banner);
  }
  const redisUrl = o.redis ?? (Deno.env.get("CHAT_REDIS_URL") || undefined);
  let backplane;
  if (redisUrl) {
    try {
      // Loaded only for a cluster: a lone server never loads ioredis.
      const { RedisBackplane } = await import("../redis/mod.ts");
      backplane = await RedisBackplane.connect({
        url: redisUrl,
        leaseMs: Math.round(o.lease * 1000),
        optional: o.redisOptional ?? false,
        log,
      });
    } catch (e) {
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      Deno.exit(1);
    }
  }
  let server;
  try {
    server = await serve({
      ...options,
      ...(backplane ? { backplane } : {}),
      log,
    });
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    const hint = listenHint(e);
    if (hint) console.error(hint);
    Deno.exit(1);
  }
  banner(server.listeners);
  const stop = async () => {
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  runStdinConsole(
    server.chat,
    (line) => log({ event: "console", result: line }),
  )
    .then(() =>
      log({ event: "console", result: "end of input; still serving" })
    );
}

/**
 * The server options of the flags (no backplane, no log).
 *
 * @param o The flags.
 * @returns Transports, addresses and limits.
 */
export function serveOptionsOf(
  o: ServeFlags,
): Omit<ServeOptions, "log" | "backplane"> {
  const limits: Partial<Limits> = {
    maxFrameSize: o.maxFrame,
    maxMessageBytes: o.maxMessage,
    maxNameLength: o.maxName,
    outboundBytes: o.outboundBytes,
    joinTimeoutMs: Math.round(o.joinTimeout * 1000),
    maxConnections: o.maxConnections,
    messagesPerSecond: o.rate,
    messageBurst: o.burst,
    maxRefusals: o.maxRefusals,
    historyLength: o.history,
    historyBytes: o.historyBytes,
    resumeGraceMs: Math.round(o.resumeGrace * 1000),
    replayEvents: o.replayEvents,
  };
  return {
    transports: o.transport ?? ["tcp", "unix", "http"],
    hostname: o.host,
    port: o.port,
    ...(o.socket ? { socketPath: o.socket } : {}),
    ...(o.libcWrites === false ? { libcWrites: false } : {}),
    limits,
    udp: {
      ...(o.udpPort !== undefined ? { port: o.udpPort } : {}),
      maxQueuedBytes: o.udpSendQueue,
      maxHeldDatagrams: o.udpIntake,
      maxHeldBytes: o.udpIntake * 1024,
      limits: {
        datagramSize: o.datagramSize,
        idleTimeoutMs: Math.round(o.udpTimeout * 1000),
        ...(o.udpTextTimeout !== undefined
          ? { textIdleTimeoutMs: Math.round(o.udpTextTimeout * 1000) }
          : {}),
        datagramsPerSecond: o.udpRate,
        handshakes: o.udpHandshakes,
      },
    },
    http: {
      port: o.httpPort,
      adminTokenFile: o.adminTokenFile,
      allowOrigins: o.allowOrigin ?? [],
      ...(o.allowHost ? { allowHosts: o.allowHost } : {}),
      limits: {
        maxBodyBytes: o.httpMaxBody,
        idleTimeoutMs: Math.round(o.httpIdleTimeout * 1000),
        heartbeatMs: Math.round(o.sseHeartbeat * 1000),
        requestTimeoutMs: Math.round(o.httpRequestTimeout * 1000),
        keepAliveMs: Math.round(o.httpKeepalive * 1000),
        wsIdleMs: Math.round(o.wsIdleTimeout * 1000),
      },
    },
  };
}

/** The flag that moves each transport's port. */
const PORT_FLAGS: Record<string, string> = {
  tcp: "--port",
  udp: "--udp-port",
  http: "--http-port",
};

/**
 * A hint for a listener that could not start because its address is in
 * use: which flag moves it.
 *
 * @param e What `serve()` threw.
 * @returns The hint, or undefined for other errors.
 */
export function listenHint(e: unknown): string | undefined {
  if (!(e instanceof ListenError) || !e.addressInUse) return undefined;
  const flag = PORT_FLAGS[e.transport ?? ""];
  const another = flag
    ? `pick another port with ${flag} (0: any free port)`
    : "pick another address";
  return `hint: another server (perhaps another roomcast) is using it; stop it, or ${another}`;
}
