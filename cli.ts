// deno-lint-ignore-file no-console
/**
 * The roomcast command line: `serve` runs a server, `join` chats from a
 * terminal or a pipe. Run `deno task cli --help` (deno.json has the
 * permission flags of each command).
 *
 * @module
 */

import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "@commander-js/extra-typings";
import { langFromLocale } from "./core/text/render.ts";
import type { Limits } from "./core/limits.ts";
import type { LogRecord } from "./core/chat.ts";
import { runStdinConsole } from "./adapters/server/console.ts";
import { serve, TRANSPORTS } from "./adapters/server/serve.ts";
import { formatLog } from "./adapters/log.ts";
import { parseServerUrl } from "./adapters/client/dial.ts";
import { parseHost, parseOrigin } from "./adapters/http/origin.ts";
import { ExitCode, runJoin } from "./adapters/terminal/join.ts";
import {
  DEFAULT_HTTP_SERVER,
  runAnnounce,
  runRooms,
  runWho,
} from "./adapters/cli/api_commands.ts";

function int(what: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(
        `${what} must be a whole number >= ${min}`,
      );
    }
    return n;
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("must be a number of seconds > 0");
  }
  return n;
}

function lease(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) {
    throw new InvalidArgumentError("must be a number of seconds >= 1");
  }
  return n;
}

function secondsOrOff(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("must be a number of seconds >= 0");
  }
  return n;
}

function origins(value: string, previous: string[] | undefined): string[] {
  const list = [...(previous ?? [])];
  for (const o of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    let origin: string;
    try {
      origin = parseOrigin(o);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
    if (!list.includes(origin)) list.push(origin);
  }
  return list;
}

function hosts(value: string, previous: string[] | undefined): string[] {
  const list = [...(previous ?? [])];
  for (const h of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    let host: string;
    try {
      host = parseHost(h);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
    if (!list.includes(host)) list.push(host);
  }
  return list;
}

function transports(value: string, previous: string[] | undefined): string[] {
  const list = [...(previous ?? [])];
  for (const t of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!TRANSPORTS.has(t)) {
      throw new InvalidArgumentError(
        `"${t}" is not one of ${[...TRANSPORTS.keys()].join(", ")}`,
      );
    }
    if (!list.includes(t)) list.push(t);
  }
  return list;
}

const program = new Command()
  .name("roomcast")
  .description("Chat rooms that any program can join.")
  .version("0.1.0")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) })
  .showHelpAfterError("(run with --help for usage)");

program
  .command("serve")
  .description(
    "Run a chat server. Each line typed on stdin is announced to every room.",
  )
  .option(
    "-t, --transport <list>",
    `transports, comma-separated or repeated (${
      [...TRANSPORTS.keys()].join(", ")
    }) (default: "tcp,unix,http")`,
    transports,
  )
  .option("--host <host>", "host to bind (TCP, UDP, HTTP)", "127.0.0.1")
  .option(
    "-p, --port <port>",
    "TCP port, and UDP port unless --udp-port (0 picks a free one)",
    int("port"),
    7878,
  )
  .option(
    "--socket <path>",
    "Unix socket path (default: $XDG_RUNTIME_DIR/roomcast.sock, else /tmp/roomcast-UID.sock)",
  )
  .option(
    "--max-frame <bytes>",
    "largest frame accepted, header included",
    int("max-frame", 64),
    65536,
  )
  .option(
    "--max-message <bytes>",
    "largest message text in UTF-8 bytes (at most 60000)",
    int("max-message", 1),
    4096,
  )
  .option(
    "--max-name <chars>",
    "longest name in characters",
    int("max-name", 1),
    32,
  )
  .option(
    "--outbound-bytes <bytes>",
    "outbound buffer per member before it is cut off as a slow consumer",
    int("outbound-bytes", 1),
    1048576,
  )
  .option(
    "--join-timeout <seconds>",
    "time to join after connecting",
    seconds,
    10,
  )
  .option(
    "--max-connections <n>",
    "most connections at once",
    int("max-connections", 1),
    20000,
  )
  .option(
    "--rate <per-second>",
    "messages per second per member (0: no limit)",
    int("rate"),
    20,
  )
  .option(
    "--burst <n>",
    "messages a member may send in a burst",
    int("burst", 1),
    40,
  )
  .option(
    "--http-port <port>",
    "HTTP port (0 picks a free one); the HTTP host is --host",
    int("http-port"),
    8787,
  )
  .option(
    "--admin-token-file <file>",
    "file holding the admin token for POST /api/announcements (default: CHAT_ADMIN_TOKEN, else one is generated and its file logged)",
  )
  .option(
    "--allow-origin <list>",
    "web origins whose pages may open chat sessions (WebSocket, POST .../sessions) besides the server's own, comma-separated or repeated, such as https://chat.example.com; * allows any (requests without Origin, from programs, are always allowed)",
    origins,
  )
  .option(
    "--allow-host <list>",
    "host names (the Host header) the HTTP server answers to besides loopback names, comma-separated or repeated, such as chat.example.com (default: a server on a loopback address answers only to loopback names, against DNS rebinding; elsewhere to any)",
    hosts,
  )
  .option(
    "--http-max-body <bytes>",
    "largest HTTP request body",
    int("http-max-body", 1),
    65536,
  )
  .option(
    "--http-grace <seconds>",
    "time an HTTP session whose event stream or WebSocket went away has to come back",
    seconds,
    5,
  )
  .option(
    "--http-idle-timeout <seconds>",
    "an HTTP session with no stream and no requests ends after this",
    seconds,
    60,
  )
  .option(
    "--sse-heartbeat <seconds>",
    "interval of heartbeats on idle event streams",
    seconds,
    15,
  )
  .option(
    "--replay-events <n>",
    "room events kept per room for Last-Event-ID resume",
    int("replay-events", 1),
    256,
  )
  .option(
    "--replay-bytes <bytes>",
    "size of the kept events of all rooms together",
    int("replay-bytes", 1),
    16777216,
  )
  .option(
    "--udp-port <port>",
    "UDP port (default: --port; TCP and UDP can share a number) (0 picks a free one)",
    int("udp-port"),
  )
  .option(
    "--datagram-size <bytes>",
    "largest UDP datagram accepted and sent (512..65507); larger frames are refused, never fragmented",
    int("datagram-size", 512),
    1200,
  )
  .option(
    "--udp-timeout <seconds>",
    "a UDP member silent this long is removed (timeout); clients ping every third of it",
    seconds,
    30,
  )
  .option(
    "--udp-text-timeout <seconds>",
    "a text member on UDP (nc -u) silent this long is removed; 0 turns text mode on UDP off (default: 600 when --host is a loopback address, else 0: text mode has no token, so a forged source address would get a session)",
    secondsOrOff,
  )
  .option(
    "--udp-rate <per-second>",
    "datagrams per second per address and per UDP session, bursts of twice as many (0: no limit)",
    int("udp-rate"),
    100,
  )
  .option(
    "--udp-handshakes <n>",
    "UDP sessions that said HELLO but have not used their token yet; beyond this the oldest is dropped",
    int("udp-handshakes", 1),
    1024,
  )
  .option(
    "--udp-send-queue <bytes>",
    "UDP datagrams waiting for the socket, all members together (>= 65536); client datagrams are taken in at the pace of sending, and beyond this bound server datagrams are dropped (members see the gap)",
    int("udp-send-queue", 65536),
    16777216,
  )
  .option(
    "--udp-intake <n>",
    "UDP client datagrams that wait while the server is sending (their bytes: at most n x 1 KiB); beyond this they are dropped and their clients send them again",
    int("udp-intake", 1),
    4096,
  )
  .option(
    "--redis <url>",
    "join a cluster of nodes through Redis, redis://[:PASSWORD@]HOST:PORT[/DB] (default: $CHAT_REDIS_URL; none: serve alone)",
  )
  .option(
    "--redis-optional",
    "start even when Redis cannot be reached, serving alone until it can",
  )
  .option(
    "--lease <seconds>",
    "cluster lease: a node silent this long is declared lost and its names freed (>= 1)",
    lease,
    10,
  )
  .addOption(new Option("--quiet", "log only errors"))
  .action(async (o) => {
    const limits: Partial<Limits> = {
      maxFrameSize: o.maxFrame,
      maxMessageBytes: o.maxMessage,
      maxNameLength: o.maxName,
      outboundBytes: o.outboundBytes,
      joinTimeoutMs: Math.round(o.joinTimeout * 1000),
      maxConnections: o.maxConnections,
      messagesPerSecond: o.rate,
      messageBurst: o.burst,
    };
    const log = (record: LogRecord) => {
      if (o.quiet && record.event !== "error") return;
      console.error(formatLog(record));
    };
    const redisUrl = o.redis ?? (Deno.env.get("CHAT_REDIS_URL") || undefined);
    let backplane;
    if (redisUrl) {
      try {
        // Loaded only for a cluster: a lone server never loads ioredis.
        const { RedisBackplane } = await import(
          "./adapters/redis/backplane.ts"
        );
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
        ...(backplane ? { backplane } : {}),
        transports: o.transport ?? ["tcp", "unix", "http"],
        hostname: o.host,
        port: o.port,
        ...(o.socket ? { socketPath: o.socket } : {}),
        limits,
        log,
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
            graceMs: Math.round(o.httpGrace * 1000),
            idleTimeoutMs: Math.round(o.httpIdleTimeout * 1000),
            heartbeatMs: Math.round(o.sseHeartbeat * 1000),
            replayEvents: o.replayEvents,
            replayBytes: o.replayBytes,
          },
        },
      });
    } catch (e) {
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      Deno.exit(1);
    }
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
  });

program
  .command("join")
  .description(
    "Join a room and chat: each stdin line is a message; /who, /join ROOM, /lang en|zh, /quit.\n" +
      "Exit codes: 0 quit or end of input, 2 usage, 3 join refused (name taken, invalid or reserved; room invalid; or another reason, such as the cluster not answering), 4 cannot connect, 5 disconnected by the server.",
  )
  .option(
    "-n, --name <name>",
    "your name (asked for on a terminal when missing)",
  )
  .option("-r, --room <room>", "room to join", "lobby")
  .option(
    "-s, --server <url>",
    "tcp://HOST:PORT, unix:///PATH, udp://HOST:PORT or ws://HOST:PORT (HTTP server's WebSocket)",
    "tcp://127.0.0.1:7878",
  )
  .addOption(
    new Option("--lang <lang>", "language of messages (default: from LANG)")
      .choices(["en", "zh"] as const),
  )
  .option("--json", "print one JSON object per event", false)
  .action(async (o) => {
    let server: URL;
    try {
      server = parseServerUrl(o.server);
    } catch (e) {
      console.error(`error: ${(e as Error).message}`);
      Deno.exit(ExitCode.USAGE);
    }
    const lang = o.lang ??
      langFromLocale(Deno.env.get("LC_ALL") || Deno.env.get("LANG"));
    const code = await runJoin({
      server,
      name: o.name,
      room: o.room,
      lang,
      json: o.json,
    });
    Deno.exit(code);
  });

program
  .command("announce")
  .description(
    "Announce as the administrator over HTTP (POST /api/announcements).\n" +
      "Token: --token-file, else CHAT_ADMIN_TOKEN, else the file a local server generated.\n" +
      "Exit codes: 0 delivered, 1 refused by the server, 2 usage or no token, 4 cannot connect.",
  )
  .argument("<text>", "what to say")
  .option("-r, --room <room>", "one room (default: every room)")
  .option("-s, --server <url>", "the HTTP server", DEFAULT_HTTP_SERVER)
  .option("--token-file <file>", "file holding the admin token")
  .option("--json", "print the answer as JSON", false)
  .action(async (text, o) => {
    Deno.exit(
      await runAnnounce({
        text,
        room: o.room,
        server: o.server,
        tokenFile: o.tokenFile,
        json: o.json,
      }),
    );
  });

program
  .command("rooms")
  .description(
    "List rooms and member counts over HTTP (GET /api/rooms).\n" +
      "Exit codes: 0 done, 1 refused, 4 cannot connect.",
  )
  .option("-s, --server <url>", "the HTTP server", DEFAULT_HTTP_SERVER)
  .option("--json", "print the answer as JSON", false)
  .action(async (o) => {
    Deno.exit(await runRooms({ server: o.server, json: o.json }));
  });

program
  .command("who")
  .description(
    "List the members of a room over HTTP (GET /api/rooms/ROOM/members).\n" +
      "Exit codes: 0 done, 1 refused (such as nobody in the room), 4 cannot connect.",
  )
  .argument("<room>", "the room")
  .option("-s, --server <url>", "the HTTP server", DEFAULT_HTTP_SERVER)
  .option("--json", "print the answer as JSON", false)
  .action(async (room, o) => {
    Deno.exit(await runWho({ room, server: o.server, json: o.json }));
  });

if (import.meta.main) {
  try {
    await program.parseAsync(Deno.args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" || e.code === "commander.help";
      Deno.exit(ok ? 0 : ExitCode.USAGE);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}

export { program };
