/**
 * A real `cli.ts serve` for the fuzz and soak runs: every transport (TCP,
 * a Unix socket, UDP, HTTP with its WebSocket), its log read as it comes
 * (cut-offs counted by code and reason), its resident memory sampled from
 * `/proc/PID/status`, and a bounded stop.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** The permission flags of the `serve` task (deno.json). */
async function servePermissions(): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { tasks: Record<string, string> };
  return (config.tasks.serve ?? "").split(/\s+/)
    .filter((a) => a.startsWith("--allow-") || a.startsWith("--v8-flags"));
}

/** Where the server listens, by transport. */
export interface ServerUrls {
  /** `tcp://127.0.0.1:PORT`. */
  tcp: string;
  /** `unix:///PATH`. */
  unix: string;
  /** `udp://127.0.0.1:PORT`. */
  udp: string;
  /** `http://127.0.0.1:PORT`. */
  http: string;
  /** `ws://127.0.0.1:PORT/api/ws`. */
  ws: string;
}

/** A running server process. */
export class LiveServer {
  /** Its URLs. */
  readonly urls: ServerUrls;
  /** The process id. */
  readonly pid: number;
  /**
   * Log records counted by kind (once the server has stopped): `error:CODE` (a connection cut with a
   * fatal error), `disconnect:REASON`, `http_timeout:STATE`,
   * `accept_error`, `http_error`, `udp_send_dropped`...
   */
  readonly counts: Map<string, number> = new Map();
  /** The last log lines, for a failure report. */
  readonly tail: string[] = [];
  /** Lines that no log line should ever be (an uncaught error). */
  readonly alarms: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #logFile: string;
  readonly #dir: string;
  #exited: Deno.CommandStatus | undefined;

  private constructor(
    child: Deno.ChildProcess,
    urls: ServerUrls,
    dir: string,
    logFile: string,
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.urls = urls;
    this.#dir = dir;
    this.#logFile = logFile;
    this.#status = child.status.then((s) => this.#exited = s);
  }

  /**
   * Start a server on free ports with extra `serve` flags.
   *
   * @param flags Flags after `serve` (limits...).
   * @returns The running server.
   */
  static async start(flags: string[] = []): Promise<LiveServer> {
    const dir = await Deno.makeTempDir({ prefix: "roomcast-live-" });
    const logFile = `${dir}/server.log`;
    // The log goes to a file, not a pipe: a pipe read by this (busy)
    // process would fill up, and the server's writes to it would block its
    // event loop, stalling every member.
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        'exec "$0" "$@" 2>"$ROOMCAST_LIVE_LOG"',
        Deno.execPath(),
        "run",
        ...await servePermissions(),
        new URL("cli.ts", ROOT).pathname,
        "serve",
        "--transport",
        "tcp,unix,udp,http",
        "--port",
        "0",
        "--udp-port",
        "0",
        "--http-port",
        "0",
        "--socket",
        `${dir}/chat.sock`,
        ...flags,
      ],
      cwd: ROOT.pathname,
      env: {
        CHAT_ADMIN_TOKEN: "live-server-admin-token-0123456789",
        ROOMCAST_LIVE_LOG: logFile,
      },
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const found: Partial<ServerUrls> = {};
    let exited = false;
    child.status.then(() => exited = true);
    const until = performance.now() + 30_000;
    while (!(found.tcp && found.unix && found.udp && found.http)) {
      if (exited || performance.now() > until) {
        if (!exited) child.kill("SIGKILL");
        await child.status;
        throw new Error("Cannot start the server: it did not listen");
      }
      await new Promise((r) => setTimeout(r, 50));
      const text = await Deno.readTextFile(logFile).catch(() => "");
      for (const m of text.matchAll(/ listen transport=(\w+) url=(\S+)/g)) {
        (found as Record<string, string>)[m[1]!] = m[2]!;
      }
    }
    found.ws = `${found.http.replace(/^http/, "ws")}/api/ws`;
    return new LiveServer(child, found as ServerUrls, dir, logFile);
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.#exited === undefined;
  }

  /** Resident memory in MiB, or undefined once it is gone. */
  rssMiB(): number | undefined {
    try {
      const status = Deno.readTextFileSync(`/proc/${this.pid}/status`);
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      return kb === undefined ? undefined : Number(kb) / 1024;
    } catch {
      return undefined;
    }
  }

  /**
   * Datagrams the kernel dropped at the server's UDP socket (its receive
   * buffer was full), from `/proc/net/udp`; undefined when not found.
   */
  udpDrops(): number | undefined {
    const port = Number(new URL(this.urls.udp).port)
      .toString(16).toUpperCase().padStart(4, "0");
    try {
      for (const line of Deno.readTextFileSync("/proc/net/udp").split("\n")) {
        const f = line.trim().split(/\s+/);
        if (f[1]?.endsWith(`:${port}`)) return Number(f.at(-1));
      }
    } catch {
      // not Linux
    }
    return undefined;
  }

  /** How many records of a kind (see {@link LiveServer.counts}). */
  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  /**
   * What went wrong on the server's side of a run, once stopped: it exited
   * during the run, stopped with a status other than 0, or logged an alarm.
   *
   * @param alive Whether it still ran when the run ended (before `stop`).
   * @param status Its exit status, from {@link LiveServer.stop}.
   * @returns One line per failure.
   */
  failures(alive: boolean, status: Deno.CommandStatus): string[] {
    const out: string[] = [];
    if (!alive) out.push("the server exited during the run");
    else if (status.code !== 0) {
      out.push(`the server stopped with ${status.code}`);
    }
    for (const a of this.alarms) out.push(`server log: ${a}`);
    return out;
  }

  #line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 50) this.tail.shift();
    if (/Uncaught|panicked|error: /.test(line)) this.alarms.push(line);
    if (!/^\d{4}-\d\d-\d\dT/.test(line)) return; // the banner
    const event = / (\w+)(?: |$)/.exec(line)?.[1];
    if (event === undefined) return;
    let kind: string = event;
    if (event === "error") {
      kind = `error:${field(line, "code")}`;
      const transport = field(line, "transport");
      if (transport !== "?") {
        this.#add(`error:${transport}:${field(line, "code")}`);
      }
    } else if (event === "disconnect") {
      kind = `disconnect:${field(line, "reason")}`;
    } else if (event === "http_timeout") {
      kind = `http_timeout:${field(line, "state")}`;
    } else if (event === "refused") kind = `refused:${field(line, "code")}`;
    this.#add(kind);
  }

  #add(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /**
   * Stop: SIGTERM, then SIGKILL after 10 s.
   *
   * @returns The exit status.
   */
  async stop(): Promise<Deno.CommandStatus> {
    if (this.alive) this.#child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (this.alive) this.#child.kill("SIGKILL");
    }, 10_000);
    const status = await this.#status;
    clearTimeout(timer);
    await this.#child.stdin.close().catch(() => {});
    // The log, counted once the server is done with it.
    const text = await Deno.readTextFile(this.#logFile).catch(() => "");
    for (const line of text.split("\n")) if (line) this.#line(line);
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    return status;
  }
}

function field(line: string, key: string): string {
  return new RegExp(` ${key}=(\\S+)`).exec(line)?.[1] ?? "?";
}
