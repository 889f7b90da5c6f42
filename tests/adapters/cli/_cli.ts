// Helpers of the command line's end-to-end tests: real `cli.ts` processes
// in a temp dir, every one stopped when the test ends.

import { Proc } from "../../_process.ts";

/** Run `fn` with a temp dir and a process list; stop every process after. */
export async function withProcs(
  fn: (dir: string, track: (p: Proc) => Proc) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-cli-" });
  const procs: Proc[] = [];
  try {
    await fn(dir, (p) => (procs.push(p), p));
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await Deno.remove(dir, { recursive: true });
  }
}

/** Start `cli.ts join` with the client permissions and these flags. */
export function join(args: string[], env: Record<string, string> = {}): Proc {
  return Proc.cli("client", ["join", ...args], { env });
}

/** Whether nothing is at `path` any more. */
export async function gone(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return false;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
}
