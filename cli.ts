// deno-lint-ignore-file no-console
/**
 * The roomcast command line: `serve` runs a server, `join` chats from a
 * terminal or a pipe. Run `deno run -P cli.ts --help`.
 *
 * @module
 */

import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "@commander-js/extra-typings";
import { langFromLocale } from "./core/render.ts";
import type { Limits } from "./core/limits.ts";
import type { LogRecord } from "./core/chat.ts";
import { runConsole } from "./adapters/console.ts";
import { formatLog, serve, TRANSPORTS } from "./adapters/server.ts";
import { parseServerUrl } from "./adapters/client.ts";
import { ExitCode, runJoin } from "./adapters/terminal.ts";

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
    }) (default: "tcp,unix")`,
    transports,
  )
  .option("--host <host>", "TCP host to bind", "127.0.0.1")
  .option(
    "-p, --port <port>",
    "TCP port (0 picks a free one)",
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
    let server;
    try {
      server = await serve({
        transports: o.transport ?? ["tcp", "unix"],
        hostname: o.host,
        port: o.port,
        ...(o.socket ? { socketPath: o.socket } : {}),
        limits,
        log,
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
    runConsole(
      server.chat,
      Deno.stdin.readable,
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
      "Exit codes: 0 quit or end of input, 2 usage, 3 name refused, 4 cannot connect, 5 disconnected by the server.",
  )
  .option(
    "-n, --name <name>",
    "your name (asked for on a terminal when missing)",
  )
  .option("-r, --room <room>", "room to join", "lobby")
  .option(
    "-s, --server <url>",
    "tcp://HOST:PORT or unix:///PATH",
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
