/**
 * The machine the bench's and the soak's figures came from, and the
 * servers' versions, for their reports.
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

/** The CPU, its cores and the memory, as the reports write them. */
async function hardware(): Promise<
  { cpu: string; cores: string; memory: string }
> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: String(navigator.hardwareConcurrency),
    memory: `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`,
  };
}

/**
 * The machine in one line, for a report's record (the soak's): CPU, cores,
 * memory and Deno's version.
 *
 * @returns "CPU, N cores, M GiB, Deno V".
 */
export async function machineLine(): Promise<string> {
  const { cpu, cores, memory } = await hardware();
  return `${cpu}, ${cores} cores, ${memory}, Deno ${Deno.version.deno}`;
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
  const hw = await hardware();
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const info: Record<string, string> = {
    ...hw,
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
