/**
 * The terminal client behind `cli.ts join`: the session loop. It dials
 * (coming back by itself after a dropped connection, with a visible
 * "reconnecting…" line), joins (asking for another name on a terminal when
 * one is refused), sends what is typed (`typed_line.ts` parses the slash
 * commands), prints events in en or zh (or JSON) through the {@link Screen},
 * the room's history dimmed, and maps outcomes to exit codes.
 *
 * @module
 */

import type { ReceivedEvent } from "../../core/events.ts";
import type { Lang } from "../../core/text/phrases.ts";
import {
  renderEvent,
  renderLost,
  TERMINAL_RENDER,
} from "../../core/text/render.ts";
import {
  type ClientConnection,
  ConnectError,
  dialResuming,
} from "../client/mod.ts";
import { dim, localTime, Screen, writeErr, writeOut } from "./screen.ts";
import { TEXT_LINES } from "../../core/text/lines.ts";
import { HELP, parseTypedLine } from "./typed_line.ts";

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
  const screen = new Screen(interactive);
  const rl = screen.rl;
  const print = (line: string) => screen.print(line, state === "joined");
  const warn = (line: string) => {
    if (options.json) {
      writeOut(JSON.stringify({ type: "client", message: line }) + "\n");
    } else print(line);
  };
  const ask = (question: string) => screen.ask(question);

  let state = "joining" as "joining" | "joined" | "quitting";
  let name = options.name;
  if (name === undefined) {
    if (!interactive) {
      rl.close();
      writeErr("error: --name is required when stdin is not a terminal");
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
    else if (event.type === "error") {
      // Every error to stderr, refusals of a name as the rest: the chat is
      // what stdout carries.
      screen.print(
        renderEvent(event, lang, TERMINAL_RENDER),
        state === "joined",
        true,
      );
    } else if (event.type === "history") {
      // History in local time, dimmed on a terminal.
      const line = renderEvent(event, lang, {
        ...TERMINAL_RENDER,
        formatTime: localTime,
      });
      print(interactive ? dim(line) : line);
    } else print(renderEvent(event, lang, TERMINAL_RENDER));
  };

  const retryName = async () => {
    // An empty answer is no answer: ask again. Only the end of input
    // (Ctrl-D) gives up, and says so.
    let next: string | undefined;
    do {
      next = await ask(lang === "zh" ? "换一个名字: " : "try another name: ");
    } while (next !== undefined && next.trim() === "" && !finished);
    if (next === undefined) {
      writeErr(
        lang === "zh" ? "没有名字: 未进入聊天室" : "no name: not joined",
      );
      finish(ExitCode.REFUSED);
      return;
    }
    if (finished) return;
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
    const input = parseTypedLine(raw);
    switch (input.kind) {
      case "empty":
        if (interactive) rl.prompt();
        return;
      case "quit":
        return quit();
      case "who":
      case "join": {
        const words = TEXT_LINES[lang];
        if (input.words || input.room === undefined) {
          warn(
            input.words ? `${words.oneWord}: ${input.room}` : words.usageJoin,
          );
          if (interactive) rl.prompt();
        } else if (input.kind === "who") {
          conn.send({ type: "who", room: input.room });
        } else {
          conn.send({ type: "join", room: input.room, name: name ?? "" });
        }
        return;
      }
      case "history":
        conn.send({ type: "recall" });
        return;
      case "lang":
        if (input.lang !== undefined) {
          lang = input.lang;
          warn(TEXT_LINES[lang].lang);
        } else if (input.ask) {
          warn(`${TEXT_LINES[lang].lang} (/lang en|zh)`);
        } else warn(TEXT_LINES[lang].usageLang);
        if (interactive) rl.prompt();
        return;
      case "help":
        warn(HELP[lang]);
        if (interactive) rl.prompt();
        return;
      case "unknown":
        warn(`unknown command ${input.command}; ${HELP[lang]}`);
        if (interactive) rl.prompt();
        return;
      case "say":
        conn.send({ type: "say", text: input.text });
        if (interactive) rl.prompt();
        return;
    }
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
    conn = await dialResuming(options.server, {
      software: "roomcast-cli/0.1",
      onReconnecting: (attempt) => {
        if (attempt === 1 && !finished) warn(TEXT_LINES[lang].reconnecting);
      },
    });
  } catch (e) {
    rl.close();
    const message = e instanceof ConnectError ? e.message : String(e);
    writeErr(`error: ${message}`);
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

  conn.send({ type: "join", room, name });
  await conn.closed;
  if (!finished) {
    exitCode = state === "quitting" ? ExitCode.OK : ExitCode.DISCONNECTED;
    if (exitCode === ExitCode.DISCONNECTED) {
      const line = lang === "zh"
        ? "与服务器的连接已断开"
        : "disconnected by the server";
      if (options.json) warn(line);
      else screen.print(line, false, true);
    }
  }
  rl.close();
  return exitCode;
}
