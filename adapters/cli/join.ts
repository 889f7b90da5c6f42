// deno-lint-ignore-file no-console
/**
 * `cli.ts join`: the flags of the terminal client, and the exit code of a
 * bad server URL; the session itself is `runJoin` (adapters/terminal/).
 *
 * @module
 */

import { type Command, Option } from "npm:@commander-js/extra-typings@14";
import { langFromLocale } from "../../core/text/phrases.ts";
import { parseServerUrl } from "../client/mod.ts";
import { ExitCode, runJoin } from "../terminal/mod.ts";

/**
 * Add the `join` command to the program.
 *
 * @param program The roomcast program.
 */
export function addJoinCommand(program: Command): void {
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
}
