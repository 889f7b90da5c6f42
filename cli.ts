/**
 * The roomcast command line: `serve` runs a server, `join` chats from a
 * terminal or a pipe, `announce`, `rooms` and `who` call the HTTP API. Run
 * `deno task cli --help` (deno.json has the permission flags of each
 * command). Each command is kept in its own file under adapters/cli/.
 *
 * @module
 */

import { Command, CommanderError } from "npm:@commander-js/extra-typings@14";
import {
  addAnnounceCommand,
  addJoinCommand,
  addRoomsCommand,
  addServeCommand,
  addWhoCommand,
  VERSION,
} from "./adapters/cli/mod.ts";
import { ExitCode } from "./adapters/terminal/mod.ts";

const program = new Command()
  .name("roomcast")
  .description("Chat rooms that any program can join.")
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) })
  .showHelpAfterError("(run with --help for usage)");

addServeCommand(program);
addJoinCommand(program);
addAnnounceCommand(program);
addRoomsCommand(program);
addWhoCommand(program);

if (import.meta.main) {
  try {
    await program.parseAsync(Deno.args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" || e.code === "commander.help";
      Deno.exit(ok ? 0 : ExitCode.USAGE);
    }
    // deno-lint-ignore no-console
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}

export { program };
