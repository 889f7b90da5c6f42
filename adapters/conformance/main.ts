/**
 * `deno task conformance --server URL`: run the protocol's conformance
 * cases against any server that claims to speak it (TCP, Unix socket or
 * UDP) and print a pass/fail table, as irctest does for IRC servers. It
 * starts nothing but its own clients and, for the loss cases, a relay on
 * 127.0.0.1. Exit code 0 when every case that applies passes, 1 when one
 * fails, 2 for bad flags.
 *
 * @module
 */

import { Command, CommanderError } from "npm:@commander-js/extra-typings@14";
import { CASE_GROUPS } from "./cases.ts";
import { runConformance, transportOf } from "./run.ts";
import { formatTable } from "./table.ts";

const encoder = new TextEncoder();
const out = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
const err = (text: string) => Deno.stderr.writeSync(encoder.encode(text));

/**
 * Run the kit from command-line arguments.
 *
 * @param args The arguments (`--server URL`, `--only NAME`..., `--json`).
 * @returns The exit code: 0 all passed, 1 a case failed, 2 bad flags.
 */
export async function main(args: readonly string[]): Promise<number> {
  const groups = CASE_GROUPS.map((g) => g.name).join(", ");
  const program = new Command()
    .name("conformance")
    .description(
      "Check a server against docs/protocol.md: handshake, names, fan-out, errors and fatal flags, limits from HELLO_OK, text-mode detection, UDP reliability (with losses on a local relay).",
    )
    .requiredOption(
      "-s, --server <url>",
      "tcp://HOST:PORT, unix:///PATH or udp://HOST:PORT",
    )
    .option(
      "--only <name...>",
      `run only these groups (${groups}) or cases whose name contains the text`,
    )
    .option("--json", "print the results as JSON instead of a table", false)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });
  let options: { server: string; only?: string[]; json: boolean };
  try {
    program.parse([...args], { from: "user" });
    options = program.opts();
    transportOf(options.server);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" ? 0 : 2;
    }
    err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const server = options.server;
  const results = await runConformance({
    server,
    ...(options.only ? { only: options.only } : {}),
    onResult: (r) => {
      if (r.status !== "skip") err(`${r.status} ${r.group}: ${r.name}\n`);
    },
  });
  out(
    options.json
      ? JSON.stringify(results, null, 2) + "\n"
      : formatTable(results, server),
  );
  return results.some((r) => r.status === "fail") ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
