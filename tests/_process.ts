// Test helpers for real processes: `cli.ts serve` and `cli.ts join` started
// with this Deno, their output collected as it comes, and every wait bounded.
// Call `stop()` in `finally`: it kills what still runs and awaits it.

const ROOT = new URL("../", import.meta.url);
/** Absolute path of cli.ts. */
export const CLI: string = new URL("cli.ts", ROOT).pathname;

/**
 * The permission flags of `cli.ts serve` and of the client commands, read
 * from the `serve` and `cli` tasks of deno.json so tests run with exactly
 * what users get.
 */
export const PERMISSIONS: Readonly<Record<"serve" | "client", string[]>> =
  await (async () => {
    const config = JSON.parse(
      await Deno.readTextFile(new URL("deno.json", ROOT)),
    ) as { tasks: Record<string, string> };
    const flags = (task: string) => {
      const list = (config.tasks[task] ?? "").split(/\s+/)
        .filter((a) => a.startsWith("--allow-") || a.startsWith("--unstable-"));
      if (list.length === 0) throw new Error(`deno.json: no task "${task}"`);
      return list;
    };
    return { serve: flags("serve"), client: flags("cli") };
  })();

/** How long one wait on a process may take, in ms. */
export const PROCESS_WAIT_MS = 8000;

/** Options of {@link Proc.spawn}. */
export interface SpawnOptions {
  /** Environment to add (LANG is cleared unless given here). */
  env?: Record<string, string>;
  /** Give the process a stdin pipe. @default {true} */
  stdin?: boolean;
  /** Working directory. @default {the project root} */
  cwd?: string;
}

/** A running child process with its output collected. */
export class Proc {
  /** Everything the process wrote to stdout so far. */
  stdout = "";
  /** Everything the process wrote to stderr so far. */
  stderr = "";
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #readers: Promise<void>[];
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #cursor = { stdout: 0, stderr: 0 };
  #wake = new Set<() => void>();
  #exited: Deno.CommandStatus | undefined;
  #outputEnded = 0;
  #stdinOpen: boolean;

  /** Start `deno run <args>` in the project root. */
  static deno(args: string[], options: SpawnOptions = {}): Proc {
    return new Proc(Deno.execPath(), ["run", ...args], options);
  }

  /** Start `cli.ts` with the permissions of `serve` or the client commands. */
  static cli(
    permissions: "serve" | "client",
    args: string[],
    options: SpawnOptions = {},
  ): Proc {
    return Proc.deno([...PERMISSIONS[permissions], CLI, ...args], options);
  }

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    const env: Record<string, string> = {
      LANG: "",
      LC_ALL: "",
      NO_COLOR: "1",
      ...options.env,
    };
    this.#stdinOpen = options.stdin ?? true;
    this.#child = new Deno.Command(command, {
      args,
      cwd: options.cwd ?? ROOT.pathname,
      env,
      stdin: this.#stdinOpen ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#stdinOpen ? this.#child.stdin.getWriter() : undefined;
    this.#readers = [
      this.#collect(this.#child.stdout, "stdout"),
      this.#collect(this.#child.stderr, "stderr"),
    ];
    this.#status = this.#child.status.then((s) => {
      this.#exited = s;
      this.#notify();
      return s;
    });
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Write text to stdin. */
  async write(text: string): Promise<void> {
    if (!this.#writer || !this.#stdinOpen) throw new Error("stdin is closed");
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** Close stdin (end of input). */
  async closeStdin(): Promise<void> {
    if (!this.#writer || !this.#stdinOpen) return;
    this.#stdinOpen = false;
    await this.#writer.close().catch(() => {});
  }

  /**
   * Wait until `pattern` appears in a stream after the previous match there,
   * and move past it. Fails with the output so far after `timeoutMs`.
   */
  async expect(
    pattern: RegExp | string,
    stream: "stdout" | "stderr" = "stdout",
    timeoutMs = PROCESS_WAIT_MS,
  ): Promise<RegExpExecArray> {
    const re = typeof pattern === "string"
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      : pattern;
    let found: RegExpExecArray | null = null;
    await this.#until(
      () => {
        if (found !== null) return true; // asked again before it woke up
        const from = this.#cursor[stream];
        found = re.exec(this[stream].slice(from));
        if (found) this.#cursor[stream] = from + found.index + found[0].length;
        // Give up only once both pipes ended: the exit status can come before
        // the last output has been read.
        return found !== null || this.#outputEnded === 2;
      },
      timeoutMs,
      () => `no ${re} on ${stream}`,
    );
    if (found === null) {
      throw new Error(
        `process exited without ${re} on ${stream}${this.#dump()}`,
      );
    }
    return found;
  }

  /** Wait for the exit status, failing after `timeoutMs`. */
  async exit(timeoutMs = PROCESS_WAIT_MS): Promise<Deno.CommandStatus> {
    await this.#until(
      () => this.#exited !== undefined,
      timeoutMs,
      () => "process still running",
    );
    await Promise.all(this.#readers);
    return this.#exited!;
  }

  /** Send a signal, if the process still runs. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited !== undefined) return;
    try {
      this.#child.kill(signal);
    } catch {
      // exited meanwhile
    }
  }

  /** Kill (SIGKILL) if still running, close stdin, await everything. */
  async stop(): Promise<void> {
    this.kill("SIGKILL");
    await this.closeStdin();
    await this.#status;
    await Promise.all(this.#readers);
  }

  #dump(): string {
    return `\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  #notify(): void {
    for (const wake of this.#wake) wake();
  }

  async #until(
    ready: () => boolean,
    timeoutMs: number,
    what: () => string,
  ): Promise<void> {
    if (ready()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        wake = () => {
          if (ready()) resolve();
        };
        this.#wake.add(wake);
        timer = setTimeout(
          () =>
            reject(new Error(`${what()} after ${timeoutMs} ms${this.#dump()}`)),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      if (wake) this.#wake.delete(wake);
    }
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
  ): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this[name] += decoder.decode(chunk, { stream: true });
      this.#notify();
    }
    this[name] += decoder.decode();
    this.#outputEnded++;
    this.#notify();
  }
}

/** A `cli.ts serve` process and where it listens. */
export interface ServerProc {
  /** The process. */
  proc: Proc;
  /** `tcp://127.0.0.1:PORT`, when serving TCP. */
  tcp?: string;
  /** `unix:///PATH`, when serving a Unix socket. */
  unix?: string;
}

/**
 * Start `cli.ts serve` and wait for its `listen` log lines.
 *
 * @param args Flags (`--port 0` and a `--socket` in a temp dir are typical).
 * @param transports How many listen lines to wait for.
 */
export async function startServe(
  args: string[],
  transports = 2,
): Promise<ServerProc> {
  const proc = Proc.cli("serve", ["serve", ...args]);
  const out: ServerProc = { proc };
  try {
    for (let i = 0; i < transports; i++) {
      const m = await proc.expect(/listen transport=(\w+) url=(\S+)/, "stderr");
      if (m[1] === "tcp") out.tcp = m[2]!;
      if (m[1] === "unix") out.unix = m[2]!;
    }
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return out;
}

/** Something to stop or close when a test ends. */
export type Closable = {
  stop?: () => Promise<void>;
  close?: () => Promise<void>;
};
/** Registers a {@link Closable}; returns it. */
export type Track = <T extends Closable>(x: T) => T;

/** Run `fn`; then stop and close what it tracked, last first. */
export async function withAll(
  fn: (track: Track) => Promise<void>,
): Promise<void> {
  const things: Closable[] = [];
  try {
    await fn((x) => (things.push(x), x));
  } finally {
    for (const t of things.reverse()) await (t.stop ? t.stop() : t.close?.());
  }
}
