/**
 * The machine the bench's figures came from, and the servers' versions, for
 * its reports.
 *
 * @module
 */

import type { Target } from "./servers.ts";

async function text(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/**
 * Describe the machine and the servers' versions.
 *
 * @param targets The targets measured.
 * @returns Name/value pairs.
 */
export async function machineInfo(
  targets: readonly Target[],
): Promise<Record<string, string>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const info: Record<string, string> = {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: String(navigator.hardwareConcurrency),
    memory: `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`,
    os: /PRETTY_NAME="?([^"\n]*)/.exec(osRelease)?.[1] ?? Deno.build.os,
    kernel: `Linux ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    commit: await text("git", ["rev-parse", "--short", "HEAD"]),
    gcc: (await text("gcc", ["-dumpfullversion"])) || "unknown",
  };
  const seen = new Set<string>();
  for (const t of targets) {
    const key = t.peer ?? "roomcast";
    if (seen.has(key) || key === "roomcast") continue;
    seen.add(key);
    info[key] = await t.version();
  }
  return info;
}
