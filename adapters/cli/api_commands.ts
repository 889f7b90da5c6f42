/**
 * `cli.ts announce`, `rooms` and `who`: one HTTP request each, a line of
 * output, and an exit code (0 done, 1 refused by the server, 2 usage,
 * 4 cannot connect).
 *
 * @module
 */

import type { Command } from "npm:@commander-js/extra-typings@14";
import { defaultAdminTokenPath } from "../http/mod.ts";
import { ApiClient, ApiError, ConnectError } from "../client/mod.ts";

/** Exit codes of the HTTP commands. */
export const ApiExit = {
  /** Done. */
  OK: 0,
  /** The server refused (the problem's detail is printed). */
  REFUSED: 1,
  /** Bad flags, or no admin token. */
  USAGE: 2,
  /** The server could not be reached. */
  CANNOT_CONNECT: 4,
} as const;

/** The server flag's default. */
export const DEFAULT_HTTP_SERVER = "http://127.0.0.1:8787";

const encoder = new TextEncoder();
const out = (line: string) =>
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
const err = (line: string) =>
  Deno.stderr.writeSync(encoder.encode(line + "\n"));

/**
 * Add the `announce` command to the program.
 *
 * @param program The roomcast program.
 */
export function addAnnounceCommand(program: Command): void {
  program
    .command("announce")
    .description(
      "Announce as the administrator over HTTP (POST /api/announcements).\n" +
        "Token: --token-file, else CHAT_ADMIN_TOKEN, else the file a local server generated.\n" +
        "Exit codes: 0 delivered, 1 refused by the server, 2 usage or no token, 4 cannot connect.",
    )
    .argument(
      "<text...>",
      "what to say (several words are one text: quotes are not needed)",
    )
    .option("-r, --room <room>", "one room (default: every room)")
    .option("-s, --server <url>", "the HTTP server", DEFAULT_HTTP_SERVER)
    .option("--token-file <file>", "file holding the admin token")
    .option("--json", "print the answer as JSON", false)
    .action(async (text, o) => {
      Deno.exit(
        await runAnnounce({
          text: text.join(" "),
          room: o.room,
          server: o.server,
          tokenFile: o.tokenFile,
          json: o.json,
        }),
      );
    });
}

/**
 * Add the `rooms` command to the program.
 *
 * @param program The roomcast program.
 */
export function addRoomsCommand(program: Command): void {
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
}

/**
 * Add the `who` command to the program.
 *
 * @param program The roomcast program.
 */
export function addWhoCommand(program: Command): void {
  program
    .command("who")
    .description(
      "List the members of a room over HTTP (GET /api/rooms/ROOM/members), one a line;\n" +
        "a room with nobody in it lists nobody, as /who does.\n" +
        "Exit codes: 0 done, 1 refused (such as an invalid room name), 4 cannot connect.",
    )
    .argument("<room>", "the room")
    .option("-s, --server <url>", "the HTTP server", DEFAULT_HTTP_SERVER)
    .option("--json", "print the answer as JSON", false)
    .action(async (room, o) => {
      Deno.exit(await runWho({ room, server: o.server, json: o.json }));
    });
}

/** Options of {@link runAnnounce}. */
export interface AnnounceOptions {
  /** The text. */
  text: string;
  /** One room; every room when undefined. */
  room?: string | undefined;
  /** Server URL. */
  server: string;
  /** A file holding the admin token. */
  tokenFile?: string | undefined;
  /** Print the answer as JSON. */
  json: boolean;
}

/**
 * Announce as the administrator. The token comes from `--token-file`, else
 * `CHAT_ADMIN_TOKEN`, else the file a local server generated
 * ({@link defaultAdminTokenPath}).
 *
 * @param options Text, room, server and token file.
 * @returns The exit code.
 */
export async function runAnnounce(options: AnnounceOptions): Promise<number> {
  const token = await findToken(options.tokenFile);
  if (typeof token !== "string") {
    err(`error: ${token.error}`);
    return ApiExit.USAGE;
  }
  return await call(options.server, async (api) => {
    const answer = await api.announce(options.text, {
      token,
      room: options.room,
    });
    if (options.json) out(JSON.stringify(answer));
    else {
      out(
        `delivered to ${answer.delivered} member(s) in ${answer.rooms} room(s)`,
      );
    }
  });
}

/**
 * List rooms: `NAME<TAB>MEMBERS` per line, or JSON.
 *
 * @param options Server and output format.
 * @returns The exit code.
 */
export function runRooms(
  options: { server: string; json: boolean },
): Promise<number> {
  return call(options.server, async (api) => {
    const rooms = await api.rooms();
    if (options.json) out(JSON.stringify({ rooms }));
    else for (const r of rooms) out(`${r.name}\t${r.members}`);
  });
}

/**
 * List the members of a room, one name per line, or JSON.
 *
 * @param options Room, server and output format.
 * @returns The exit code.
 */
export function runWho(
  options: { room: string; server: string; json: boolean },
): Promise<number> {
  return call(options.server, async (api) => {
    let answer;
    try {
      answer = await api.members(options.room);
    } catch (e) {
      // A room exists while someone is in it: nobody there is an answer,
      // as /who gives it, not a failure.
      if (!(e instanceof ApiError) || e.code !== "ROOM_NOT_FOUND") throw e;
      answer = { room: options.room, members: [], total: 0 };
    }
    if (options.json) out(JSON.stringify(answer));
    else for (const name of answer.members) out(name);
  });
}

async function call(
  server: string,
  run: (api: ApiClient) => Promise<void>,
): Promise<number> {
  let api: ApiClient;
  try {
    api = new ApiClient(server);
  } catch (e) {
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return ApiExit.USAGE;
  }
  try {
    await run(api);
    return ApiExit.OK;
  } catch (e) {
    if (e instanceof ApiError) {
      err(`error: ${e.message} (${e.code})`);
      return ApiExit.REFUSED;
    }
    if (e instanceof ConnectError) {
      err(`error: ${e.message}`);
      return ApiExit.CANNOT_CONNECT;
    }
    throw e;
  }
}

async function findToken(
  file: string | undefined,
): Promise<string | { error: string }> {
  if (file !== undefined) {
    try {
      return (await Deno.readTextFile(file)).trim();
    } catch (e) {
      return {
        error: `Cannot read admin token from ${file}: ${
          e instanceof Error ? e.message : String(e)
        }`,
      };
    }
  }
  const env = Deno.env.get("CHAT_ADMIN_TOKEN");
  if (env) return env.trim();
  const path = defaultAdminTokenPath();
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return {
      error:
        `Cannot announce: no admin token (set CHAT_ADMIN_TOKEN, pass --token-file, or run where the server wrote ${path})`,
    };
  }
}
