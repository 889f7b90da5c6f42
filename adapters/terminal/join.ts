/**
 * The terminal client behind `cli.ts join`: reads lines from stdin, prints
 * events in en or zh (or JSON), keeps the line being typed intact when
 * events arrive, and maps outcomes to exit codes.
 *
 * @module
 */

import process from "node:process";
import readline from "node:readline";
import { PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import type { ReceivedEvent } from "../../core/events.ts";
import { type Lang, renderEvent, renderLost } from "../../core/text/render.ts";
import { type ClientConnection, ConnectError, dial } from "../client/mod.ts";

/** Exit codes of `cli.ts join`. */
export const ExitCode = {
  /** Quit, or end of input. */
  OK: 0,
  /** Bad flags. */
  USAGE: 2,
  /** The name (or room) was refused. */
  REFUSED: 3,
  /** The server could not be reached. */
  CANNOT_CONNECT: 4,
  /** The server closed the session (shutdown, timeout, error). */
  DISCONNECTED: 5,
} as const;

/** Options of {@link runJoin}. */
export interface JoinOptions {
  /** Server URL. */
  server: URL;
  /** Name; asked for on a terminal when missing. */
  name?: string | undefined;
  /** Room to join. */
  room: string;
  /** Language of rendered lines. */
  lang: Lang;
  /** Print one JSON object per event instead of rendered lines. */
  json: boolean;
}

const REFUSALS = new Set([
  "NAME_TAKEN",
  "NAME_INVALID",
  "NAME_RESERVED",
  "ROOM_INVALID",
]);

const HELP: Record<Lang, string> = {
  en:
    "commands: /who [ROOM]  /join ROOM  /lang en|zh  /quit  /help   (//text sends /text)",
  zh:
    "命令: /who [聊天室]  /join 聊天室  /lang en|zh  /quit 退出  /help 帮助   (//文字 发送 /文字)",
};

const encoder = new TextEncoder();

function writeOut(text: string): void {
  const bytes = encoder.encode(text);
  let at = 0;
  while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
}

/**
 * Join a room and chat from stdin until `/quit`, end of input, or the server
 * ends the session.
 *
 * @param options Server, name, room, language and output format.
 * @returns The exit code ({@link ExitCode}).
 */
export async function runJoin(options: JoinOptions): Promise<number> {
  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal() &&
    !options.json;
  let lang = options.lang;
  const rl = readline.createInterface({
    input: process.stdin,
    ...(interactive
      ? { output: process.stdout, terminal: true }
      : { terminal: false }),
  });
  rl.setPrompt("> ");
  const print = (line: string) => {
    if (!interactive) {
      writeOut(line + "\n");
      return;
    }
    // Erase the prompt and the line being typed, which may wrap over several
    // rows, print above them, then have readline draw them again.
    const rows = state === "joined" ? rl.getCursorPos().rows : 0;
    readline.moveCursor(process.stdout, 0, -rows);
    readline.cursorTo(process.stdout, 0);
    readline.clearScreenDown(process.stdout);
    writeOut(line + "\n");
    if (state === "joined") {
      // Before redrawing, readline moves up as many rows as the cursor was
      // below the prompt: give it those rows so it does not climb into ours.
      writeOut("\n".repeat(rows));
      rl.prompt(true);
    }
  };
  const warn = (line: string) => {
    if (options.json) {
      writeOut(JSON.stringify({ type: "client", message: line }) + "\n");
    } else print(line);
  };
  const ask = (question: string) =>
    new Promise<string | undefined>((resolve) => {
      const onClose = () => resolve(undefined);
      rl.once("close", onClose);
      rl.question(question, (answer) => {
        rl.off("close", onClose);
        resolve(answer);
      });
    });

  let state = "joining" as "joining" | "joined" | "quitting";
  let name = options.name;
  if (name === undefined) {
    if (!interactive) {
      rl.close();
      Deno.stderr.writeSync(
        encoder.encode(
          "error: --name is required when stdin is not a terminal\n",
        ),
      );
      return ExitCode.USAGE;
    }
    name = await ask(lang === "zh" ? "名字: " : "name: ");
    if (name === undefined) {
      rl.close();
      return ExitCode.OK;
    }
  }

  // Input is read from now on: lines (and the end of input) that come
  // while connecting and joining are kept and replayed once welcomed.
  let conn: ClientConnection | undefined;
  let exitCode: number = ExitCode.DISCONNECTED;
  let room = options.room;
  const pending: string[] = [];
  let finished = false;
  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    exitCode = code;
    conn?.close();
  };

  const show = (event: ReceivedEvent) => {
    if (event.type === "hello_ok" || event.type === "pong") return;
    if (options.json) writeOut(JSON.stringify(event) + "\n");
    else print(renderEvent(event, lang));
  };

  const retryName = async () => {
    const next = await ask(
      lang === "zh" ? "换一个名字: " : "try another name: ",
    );
    if (next === undefined || next.trim() === "") {
      finish(ExitCode.REFUSED);
      return;
    }
    name = next;
    conn?.send({ type: "join", room, name });
  };

  const onEvent = (event: ReceivedEvent) => {
    if (finished) return;
    show(event);
    switch (event.type) {
      case "welcome": {
        room = event.room;
        name = event.name;
        if (state === "joining") {
          state = "joined";
          if (interactive) rl.prompt();
          for (const line of pending.splice(0)) onLine(line);
        }
        break;
      }
      case "error":
        if (event.fatal) {
          finish(ExitCode.DISCONNECTED);
        } else if (state === "joining" && REFUSALS.has(event.code)) {
          if (interactive) retryName();
          else finish(ExitCode.REFUSED);
        } else if (state === "joining") {
          // The JOIN was refused for another reason (the cluster did not
          // answer, or a code of a newer server): its message was shown;
          // asking for another name would not help, nor would waiting.
          finish(ExitCode.REFUSED);
        } else if (interactive && state === "joined") {
          rl.prompt(true);
        }
        break;
      case "left":
        if (event.name === name && event.room === room) {
          finish(event.reason === "quit" ? ExitCode.OK : ExitCode.DISCONNECTED);
        }
        break;
    }
  };

  const quit = () => {
    if (state === "quitting" || finished || conn === undefined) return;
    state = "quitting";
    conn.send({ type: "leave" });
  };

  const onLine = (raw: string) => {
    if (finished) return;
    if (state === "joining") {
      pending.push(raw);
      return;
    }
    if (state !== "joined" || conn === undefined) return;
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      if (interactive) rl.prompt();
      return;
    }
    if (line.startsWith("/") && !line.startsWith("//")) {
      const [command = "", ...args] = line.trim().split(/\s+/);
      switch (command) {
        case "/quit":
        case "/exit":
          return quit();
        case "/who":
          conn.send({ type: "who", room: args[0] ?? "" });
          return;
        case "/join":
          if (args[0] === undefined) warn("usage: /join ROOM");
          else conn.send({ type: "join", room: args[0], name: name ?? "" });
          return;
        case "/lang":
          if (args[0] === "en" || args[0] === "zh") lang = args[0];
          else warn("usage: /lang en|zh");
          if (interactive) rl.prompt();
          return;
        case "/help":
          warn(HELP[lang]);
          if (interactive) rl.prompt();
          return;
        default:
          warn(`unknown command ${command}; ${HELP[lang]}`);
          if (interactive) rl.prompt();
          return;
      }
    }
    conn.send({
      type: "say",
      text: line.startsWith("//") ? line.slice(1) : line,
    });
    if (interactive) rl.prompt();
  };

  rl.on("line", onLine);
  rl.on("close", () => {
    if (state === "joining") {
      pending.push("/quit");
      return;
    }
    quit();
  });
  rl.on("SIGINT", () => {
    if (conn === undefined) finish(ExitCode.OK);
    quit();
    rl.close();
  });

  try {
    conn = await dial(options.server);
  } catch (e) {
    rl.close();
    const message = e instanceof ConnectError ? e.message : String(e);
    Deno.stderr.writeSync(encoder.encode(`error: ${message}\n`));
    return ExitCode.CANNOT_CONNECT;
  }
  if (finished) {
    conn.close();
    rl.close();
    return exitCode;
  }
  conn.onEvent = onEvent;
  conn.onLost = (count) => {
    if (finished) return;
    if (options.json) writeOut(JSON.stringify({ type: "lost", count }) + "\n");
    else print(renderLost(count, lang));
  };

  conn.send({
    type: "hello",
    version: PROTOCOL_VERSION,
    software: "roomcast-cli/0.1",
  });
  conn.send({ type: "join", room, name });
  await conn.closed;
  if (!finished) {
    exitCode = state === "quitting" ? ExitCode.OK : ExitCode.DISCONNECTED;
    if (exitCode === ExitCode.DISCONNECTED) {
      warn(
        lang === "zh" ? "与服务器的连接已断开" : "disconnected by the server",
      );
    }
  }
  rl.close();
  return exitCode;
}
