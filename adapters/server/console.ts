/**
 * The administrator's console: each line typed on the server's stdin is
 * announced to every room (and counted on every node that can tell, such
 * as the other isolates). End of input stops the console, not the server.
 *
 * @module
 */

import type { AnnounceResult } from "../../core/chat.ts";

/**
 * What the console announces through: a chat, or the Workers of
 * `serve --workers` (which ask one of them).
 */
export interface Announcer {
  /** Announce to every room; counted on every node that can tell. */
  announceCounted(text: string): Promise<AnnounceResult>;
}

/**
 * Read announcement lines from a byte stream until it ends.
 *
 * @param chat The chat to announce to.
 * @param input Where lines come from (the server's stdin).
 * @param report Told the outcome of each line.
 * @returns Settles at end of input.
 */
export async function runConsole(
  chat: Announcer,
  input: ReadableStream<Uint8Array>,
  report: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  const announce = async (raw: string) => {
    const text = raw.replace(/\r$/, "");
    if (text.trim() === "") return;
    const result = await chat.announceCounted(text);
    report(
      result.ok
        ? `announced to ${result.rooms} room(s), ${result.delivered} member(s)`
        : `not announced: ${result.message}`,
    );
  };
  try {
    for await (const chunk of input) {
      rest += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        await announce(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
  } catch {
    // stdin closed under us: the console stops, the server goes on
  }
  await announce(rest + decoder.decode());
}

/**
 * Whether this process runs in the background of the terminal its stdin is
 * (a shell job started with `&`, or after Ctrl-Z and `bg`). Reading a
 * terminal from the background stops the whole process with SIGTTIN, so the
 * console must not read then. Deno offers no tcgetpgrp and will not read
 * /proc/self without --allow-all, so this asks `ps` (run permission for
 * `ps`); without it, or without `ps`, the answer is false.
 *
 * @returns True when reading stdin now would stop the process.
 */
export async function stdinInBackground(): Promise<boolean> {
  if (!Deno.stdin.isTerminal()) return false;
  // Never trigger a permission prompt: it would read the terminal too.
  const allowed = Deno.permissions.querySync({ name: "run", command: "ps" });
  if (allowed.state !== "granted") return false;
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "tpgid=,pgid=", "-p", String(Deno.pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return false;
    const [tpgid = 0, pgid = 0] = new TextDecoder().decode(out.stdout).trim()
      .split(/\s+/).map(Number);
    return tpgid > 0 && tpgid !== pgid;
  } catch {
    return false;
  }
}

/**
 * Run the console on the server's stdin, once the process is in the
 * foreground of its terminal: a server started in the background (`&`)
 * keeps serving instead of being stopped by SIGTTIN, and its console starts
 * when it is brought to the foreground (`fg`).
 *
 * @param chat The chat to announce to.
 * @param report Told the outcome of each line.
 * @param pollMs How often to check for the foreground, in ms.
 * @returns Settles at end of input.
 */
export async function runStdinConsole(
  chat: Announcer,
  report: (line: string) => void,
  pollMs = 1000,
): Promise<void> {
  if (await stdinInBackground()) {
    report(
      "in the background: the console starts when brought to the foreground",
    );
    do {
      await new Promise<void>((resolve) => {
        Deno.unrefTimer(setTimeout(resolve, pollMs));
      });
    } while (await stdinInBackground());
    report("in the foreground: each line typed is announced");
  }
  await runConsole(chat, Deno.stdin.readable, report);
}
