/**
 * `cli.ts serve`: the flags of a server, each with its default and help
 * text; what it runs is {@link runServe}.
 *
 * @module
 */

import { type Command, Option } from "npm:@commander-js/extra-typings@14";
import { TRANSPORTS } from "../server/mod.ts";
import {
  hosts,
  int,
  lease,
  origins,
  seconds,
  secondsOrOff,
  transports,
  workers,
} from "./options.ts";
import { runServe } from "./run_serve.ts";

/**
 * Add the `serve` command to the program.
 *
 * @param program The roomcast program.
 */
export function addServeCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "Run a chat server. Each line typed on stdin is announced to every room.\n" +
        "Once every listener is up it prints where to connect and where the admin token is.",
    )
    .optionsGroup("Where to listen:")
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
      "--no-libc-writes",
      "write to TCP members through Deno.Conn.write only; by default one send(2) through libc (needs --allow-ffi, as deno task serve has; Linux), Deno's write when the socket is full",
    )
    .optionsGroup("Limits:")
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
    .optionsGroup("History and resume (every transport):")
    .option(
      "--history <n>",
      "messages and announcements each room keeps for members who join later, in memory (in Redis with --redis), never on disk (0: none)",
      int("history"),
      50,
    )
    .option(
      "--history-bytes <bytes>",
      "most bytes of history per room (UTF-8 of texts and senders)",
      int("history-bytes"),
      65536,
    )
    .option(
      "--resume-grace <seconds>",
      "time a member whose connection went away keeps its name and room for a resume, on any transport (0: it leaves at once)",
      secondsOrOff,
      60,
    )
    .option(
      "--replay-events <n>",
      "events kept per member for a resume (or an SSE Last-Event-ID) to give back",
      int("replay-events", 1),
      256,
    )
    .optionsGroup("HTTP:")
    .option(
      "--max-refusals <n>",
      "refused commands (bad frames, names, over the rate...) a connection may draw within 10 s before it is cut with TOO_MANY_ERRORS (0: never)",
      int("max-refusals"),
      100,
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
      "--http-idle-timeout <seconds>",
      "an HTTP session with no stream and no requests ends after this",
      seconds,
      60,
    )
    .option(
      "--http-request-timeout <seconds>",
      "an HTTP request's head and body must arrive within this (from its first byte; from connecting for the first request), else the connection is closed",
      seconds,
      10,
    )
    .option(
      "--http-keepalive <seconds>",
      "an HTTP connection with no request under way and nothing sent either way is closed after this (event streams are kept by their heartbeats; WebSockets by --ws-idle-timeout)",
      seconds,
      30,
    )
    .option(
      "--ws-idle-timeout <seconds>",
      "a WebSocket whose client sent nothing for this long (pongs count) is closed; it is pinged after half of it",
      seconds,
      60,
    )
    .option(
      "--sse-heartbeat <seconds>",
      "interval of heartbeats on idle event streams",
      seconds,
      15,
    )
    .optionsGroup("UDP:")
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
    .optionsGroup("Cluster (several servers through Redis):")
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
      "cluster lease: a node (or Worker) silent this long is declared lost and its names freed (>= 1)",
      lease,
      10,
    )
    .optionsGroup("Workers (several threads, one chat):")
    .option(
      "--workers <n>",
      "serve with n Workers (threads) that share rooms, TCP and HTTP on shared ports, Unix and UDP in the first; auto: one per core (needs --unstable-kv --unstable-net, as deno task serve has)",
      workers,
      1,
    )
    .optionsGroup("Output:")
    .addOption(
      new Option(
        "--quiet",
        "log only errors, and no startup banner (machine logs)",
      ),
    )
    .addOption(
      new Option(
        "--log <format>",
        "log lines as text (TIME EVENT key=value) or one JSON object each; json leaves the startup banner out",
      ).choices(["text", "json"] as const).default("text" as const),
    )
    .action((o) => runServe(o));
}
