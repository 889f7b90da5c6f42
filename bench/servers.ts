/**
 * What the bench measures: a {@link Target} starts a fresh server (a
 * roomcast process, a cluster of them, or a peer such as redis-server) on
 * free loopback ports with a private configuration, and says where the load
 * generator connects and which processes to watch. A new transport or
 * deployment plugs in as one more Target; these helpers start and stop the
 * processes.
 *
 * @module
 */

/** The wire protocol the load generator speaks to a target. */
export type Proto = "roomcast" | "redis" | "nats" | "irc";

/** A server started for one measurement. */
export interface Running {
  /**
   * Addresses for the load generator: `tcp:HOST:PORT`, `unix:PATH`, and for
   * roomcast `udp:HOST:PORT` (its UDP transport) or `ws:HOST:PORT` (the
   * WebSocket of its HTTP transport).
   */
  readonly addrs: readonly string[];
  /** Server processes whose CPU time and RSS are measured. */
  readonly pids: readonly number[];
  /** Stop the server and remove its files. */
  stop(): Promise<void>;
}

/** Something the bench measures. */
export interface Target {
  /** Name in tables and charts, such as `roomcast/tcp` or `redis/tcp`. */
  readonly name: string;
  /** Protocol of the load generator. */
  readonly proto: Proto;
  /** Transport, such as `tcp`, `unix`, `udp` or `ws-binary`. */
  readonly transport: string;
  /** More load generator flags for this target (`--ws-protocol binary`). */
  readonly loadgenArgs?: readonly string[];
  /** The peer's name (`redis`, `nats`, `irc`), or undefined for roomcast. */
  readonly peer?: string;
  /** Start a fresh server. */
  start(): Promise<Running>;
  /** The server's version, for the report. */
  version(): Promise<string>;
}

/**
 * Open files asked for each server process; where the hard limit is lower
 * (a container without CAP_SYS_RESOURCE), the soft limit is raised to it.
 */
export const NOFILE = 65536;

/** The roomcast checkout this bench belongs to. */
export const ROOT = new URL("../", import.meta.url);

/** Spawn a command with a raised open-file limit; the pid is the command's own (exec). */
export function spawnServer(
  cmd: string,
  args: readonly string[],
  cwd?: string,
  env?: Record<string, string>,
): Deno.ChildProcess {
  return new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`,
      "bench",
      cmd,
      ...args,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
    ...(env ? { env } : {}),
  }).spawn();
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Wait until a server accepts connections, or fail if it exits first. */
export async function waitConnectable(
  addr: Deno.ConnectOptions | Deno.UnixConnectOptions,
  child: Deno.ChildProcess,
  what: string,
): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const until = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      throw new Error(`Cannot start ${what}: it exited at once`);
    }
    try {
      const c = await Deno.connect(addr as Deno.ConnectOptions);
      c.close();
      return;
    } catch {
      if (Date.now() > until) {
        throw new Error(`Cannot start ${what}: not listening after 15 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Stop a child: SIGTERM, then SIGKILL after a grace period. */
export async function stopChild(child: Deno.ChildProcess): Promise<string> {
  const errText = new Response(child.stderr).text();
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      resolve();
    }, 5000);
  });
  await Promise.race([child.status, killed]);
  await child.status;
  clearTimeout(timer);
  return await errText;
}

/**
 * Wait for a spawned server to listen and wrap it as {@link Running}; on
 * failure stop it and throw with what it printed on stderr.
 */
export async function started(
  child: Deno.ChildProcess,
  addrs: string[],
  probe:
    | Deno.ConnectOptions
    | Deno.UnixConnectOptions
    | ((child: Deno.ChildProcess) => Promise<void>),
  what: string,
  dir: string,
): Promise<Running> {
  try {
    if (typeof probe === "function") await probe(child);
    else await waitConnectable(probe, child, what);
  } catch (e) {
    const err = await stopChild(child);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`${(e as Error).message}\n${err.trim()}`);
  }
  return {
    addrs,
    pids: [child.pid],
    async stop() {
      await stopChild(child);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Wait until the servers' resident memory stops growing (two readings 250
 * ms apart within 1 MiB of each other), at most 10 s: W3 reads the memory
 * "before" the members, and a server still starting (the Workers of
 * `serve --workers`, which answer on the port before all of them are up)
 * would have its start counted as the members'.
 *
 * @param pids The servers' processes.
 */
export async function settledRss(pids: readonly number[]): Promise<void> {
  const rss = () =>
    pids.reduce((sum, pid) => {
      try {
        const status = Deno.readTextFileSync(`/proc/${pid}/status`);
        return sum + Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      } catch {
        return sum;
      }
    }, 0);
  const until = performance.now() + 10_000;
  let last = rss();
  while (performance.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    const now = rss();
    if (Math.abs(now - last) < 1024) return;
    last = now;
  }
}

/** The first line a command prints (a version), or "unknown". */
export async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n")[0] ?? "";
  } catch {
    return "unknown";
  }
}
