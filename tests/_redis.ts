// A private redis-server for tests: a free loopback port, no persistence,
// its own temporary working directory, stopped by its pid. Tests that need
// Redis call startRedis() and fail loudly when it cannot start: they never
// skip.

/** A redis-server started by a test. */
export class RedisServer {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Its working directory (removed by {@link RedisServer.stop}). */
  readonly dir: string;
  #child: Deno.ChildProcess | undefined;
  #output: Promise<unknown> | undefined;
  #log = "";

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  /** `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Start a redis-server on a free loopback port and wait until it answers
   * PING.
   *
   * @throws {Error} When redis-server is missing or does not answer in time.
   */
  static async start(): Promise<RedisServer> {
    const dir = await Deno.makeTempDir({ prefix: "roomcast-redis-" });
    // The free port may be taken before redis-server binds it (tests run in
    // parallel): try a few.
    for (let attempt = 1;; attempt++) {
      const server = new RedisServer(freePort(), dir);
      try {
        await server.#spawn();
        return server;
      } catch (e) {
        if (attempt < 3) continue;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw e;
      }
    }
  }

  async #spawn(): Promise<void> {
    let command: Deno.Command;
    try {
      command = new Deno.Command("redis-server", {
        args: [
          "--port",
          String(this.port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          this.dir,
          "--logfile",
          "",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
      this.#child = command.spawn();
    } catch (e) {
      throw new Error(
        `Cannot start redis-server: ${
          (e as Error).message
        } (install it: apt-get install redis-server, or run .ci/deps.sh)`,
      );
    }
    const child = this.#child;
    this.#log = "";
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        this.#log = (this.#log + decoder.decode(chunk)).slice(-4000);
      }
    };
    this.#output = Promise.all([collect(child.stdout), collect(child.stderr)]);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await this.#ping()) return;
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 50)),
      ]);
      if (exited) break;
    }
    await this.#kill();
    throw new Error(
      `Cannot start redis-server on port ${this.port}: no answer to PING\n${this.#log}`,
    );
  }

  async #ping(): Promise<boolean> {
    const out = await new Deno.Command("redis-cli", {
      args: ["-h", "127.0.0.1", "-p", String(this.port), "ping"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => undefined);
    return new TextDecoder().decode(out?.stdout).trim() === "PONG";
  }

  /** Run a redis-cli command against this server and return its output. */
  async cli(...args: string[]): Promise<string> {
    const out = await new Deno.Command("redis-cli", {
      args: ["-h", "127.0.0.1", "-p", String(this.port), ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await this.#output;
  }

  /**
   * Restart on the same port with an empty data set (no persistence), as
   * after a crash: the server is killed, then started again.
   */
  async restart(downMs = 0): Promise<void> {
    await this.#kill();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.#spawn();
  }

  /** Kill the server without starting it again (see {@link restart}). */
  async pause(): Promise<void> {
    await this.#kill();
  }

  /** Start the server again after {@link pause}. */
  async resume(): Promise<void> {
    await this.#spawn();
  }

  /** Stop the server by its pid and remove its directory. */
  async stop(): Promise<void> {
    await this.#kill();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A loopback port that was free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Start a private redis-server (see {@link RedisServer.start}). */
export function startRedis(): Promise<RedisServer> {
  return RedisServer.start();
}
