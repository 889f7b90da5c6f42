// The `roomcast` command, as a user gets it: installed with `deno install -g`
// (the `install:global` task) and compiled into one executable with `deno
// compile` (the `compile` task). Each runs the same scenario: serve, the web
// page, a join, an announcement, rooms and who, shutdown.
//
// `deno compile` needs Deno's runtime for executables (denort), which it
// downloads on first use unless DENORT_BIN names one; where neither can be
// had (no network to Deno's download host), the compiled-binary test is
// ignored, and says so in its name.

import assert from "node:assert/strict";
import { Proc } from "./_process.ts";

const ROOT = new URL("../", import.meta.url);
const config = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", ROOT)),
) as { tasks: Record<string, string> };

/** A task's arguments after `deno <subcommand>`, with `--output` replaced. */
function taskArgs(
  task: string,
  replace: Record<string, string> = {},
): string[] {
  const words = config.tasks[task]!.split(/\s+/);
  assert.equal(words[0], "deno", `task ${task} runs deno`);
  const args = words.slice(1);
  for (const [flag, value] of Object.entries(replace)) {
    const at = args.indexOf(flag);
    assert.ok(at > 0, `task ${task} has ${flag}`);
    args[at + 1] = value;
  }
  return args;
}

/** Run a command to its end, bounded; its output as text. */
async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
  cwd: string = ROOT.pathname,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    env: { LANG: "", LC_ALL: "", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/**
 * serve, the page, a join, an announcement, rooms, who, then SIGTERM: with
 * the `roomcast` command at `command`.
 */
async function scenario(command: string, dir: string): Promise<void> {
  // Socket and generated admin token in the temporary folder, where
  // `announce` finds the token by itself.
  const env = { XDG_RUNTIME_DIR: dir };
  const server = new Proc(
    command,
    ["serve", "--port", "0", "--http-port", "0"],
    { env, cwd: dir },
  );
  const procs = [server];
  try {
    await server.expect("is serving:", "stderr", 30_000);
    await server.expect(/Ctrl-C stops/, "stderr");
    const tcp = /^ {2}(tcp:\/\/\S+)/m.exec(server.stderr)?.[1];
    const http = /^ {2}(http:\/\/\S+)\//m.exec(server.stderr)?.[1];
    assert.ok(tcp && http, server.stderr);
    assert.match(server.stderr, new RegExp(`unix://${dir}/roomcast\\.sock`));
    assert.match(server.stderr, new RegExp(`admin token: ${dir}/`));

    // The page's files are inside the command.
    for (const path of ["/", "/assets/page.css", "/src/adapters/web/page.ts"]) {
      const res: Response = await fetch(`${http}${path}`);
      await res.body?.cancel();
      assert.equal(res.status, 200, path);
    }

    const amy = new Proc(
      command,
      ["join", "--name", "amy", "--server", tcp],
      { env, cwd: dir },
    );
    procs.push(amy);
    await amy.expect("you are amy in lobby", "stdout", 15_000);

    const said = await run(
      command,
      ["announce", "hello from roomcast", "--server", http],
      env,
      15_000,
      dir,
    );
    assert.equal(said.code, 0, said.stderr);
    assert.match(said.stdout, /delivered to 1 member\(s\) in 1 room\(s\)/);
    await amy.expect("*** admin says: hello from roomcast");

    const rooms = await run(
      command,
      ["rooms", "--server", http],
      env,
      15_000,
      dir,
    );
    assert.equal(rooms.stdout, "lobby\t1\n", rooms.stderr);
    const who = await run(
      command,
      ["who", "lobby", "--server", http],
      env,
      15_000,
      dir,
    );
    assert.equal(who.stdout, "amy\n", who.stderr);

    server.kill("SIGTERM");
    assert.equal((await server.exit(15_000)).code, 0);
    await amy.expect("left the room (server shutting down)");
    assert.equal((await amy.exit()).code, 5);
  } finally {
    for (const p of procs) await p.stop();
  }
}

Deno.test("roomcast command: deno install -g (task install:global) gives a working roomcast", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-install-" });
  try {
    const args = taskArgs("install:global");
    assert.deepEqual(args.slice(0, 2), ["install", "-g"]);
    const installed = await run(
      Deno.execPath(),
      [...args.slice(0, -1), "--root", dir, args.at(-1)!],
      {},
      120_000,
    );
    assert.equal(installed.code, 0, installed.stderr);
    const command = `${dir}/bin/roomcast`;
    const help = await run(command, ["--help"], {}, 30_000);
    assert.match(help.stdout, /^Usage: roomcast /);
    await scenario(command, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Compiled before the test is declared, so that a machine that cannot get
// Deno's runtime for executables ignores the test with the reason.
const compiled = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-compile-" });
  const binary = `${dir}/roomcast`;
  const result = await run(
    Deno.execPath(),
    taskArgs("compile", { "--output": binary }),
    {},
    300_000,
  ).catch((e) => ({ code: -1, stdout: "", stderr: String(e) }));
  const noRuntime = result.code !== 0 &&
    /Setting up base binary|denort/.test(result.stderr);
  return { dir, binary, result, noRuntime };
})();

Deno.test({
  name: compiled.noRuntime
    ? "roomcast command: deno compile (task compile) makes one executable [ignored: deno compile could not get its runtime (denort): no network to Deno's download host and no DENORT_BIN]"
    : "roomcast command: deno compile (task compile) makes one executable that serves, joins and announces",
  ignore: compiled.noRuntime,
  async fn() {
    try {
      assert.equal(compiled.result.code, 0, compiled.result.stderr);
      const size = (await Deno.stat(compiled.binary)).size;
      assert.ok(size > 10_000_000, `a whole runtime inside: ${size} bytes`);
      // It runs from anywhere: another folder, without this repository.
      await scenario(compiled.binary, compiled.dir);
    } finally {
      await Deno.remove(compiled.dir, { recursive: true });
    }
  },
});

if (compiled.noRuntime) {
  await Deno.remove(compiled.dir, { recursive: true });
}
