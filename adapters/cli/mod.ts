/**
 * The commands of `cli.ts`, one file each: `serve` (flags in `serve.ts`,
 * what it runs in `run_serve.ts`), `join`, and the HTTP API commands
 * `announce`, `rooms` and `who`; the flags' value parsers are in
 * `options.ts`. Each `add...Command(program)` adds one command to a
 * commander program.
 *
 * @example
 * ```ts ignore
 * import { Command } from "npm:@commander-js/extra-typings@14";
 * const program = new Command().name("roomcast");
 * addServeCommand(program);
 * addJoinCommand(program);
 * await program.parseAsync(Deno.args, { from: "user" });
 * ```
 *
 * @module
 */

export { addServeCommand } from "./serve.ts";
export { runServe, type ServeFlags } from "./run_serve.ts";
export { addJoinCommand } from "./join.ts";
export { type BannerInfo, formatBanner } from "./banner.ts";
export { VERSION } from "./version.ts";
export {
  addAnnounceCommand,
  addRoomsCommand,
  addWhoCommand,
  type AnnounceOptions,
  ApiExit,
  DEFAULT_HTTP_SERVER,
  runAnnounce,
  runRooms,
  runWho,
} from "./api_commands.ts";
