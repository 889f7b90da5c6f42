// The server console on a real terminal (a tmux pane running an interactive
// bash): a server started in the background with `&` keeps serving (it is
// not stopped by SIGTTIN), and its console works once brought back with
// `fg`. tmux is a test dependency: without it this test fails.

import assert from "node:assert/strict";
import { connectStream, type StreamTestClient } from "../_client.ts";
import { PERMISSIONS } from "../../_process.ts";
import { tmux } from "../_tmux.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const WAIT_MS = 8000;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${WAIT_MS} ms`);
}

async function read(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/** The state letter of a process (R, S, T...), or undefined once it is gone. */
async function state(pid: number): Promise<string | undefined> {
  const stat = await read(`/proc/${pid}/stat`);
  return stat === "" ? undefined : stat.slice(stat.lastIndexOf(")") + 2)[0];
}

Deno.test("console: a server started with & keeps serving; fg starts its console", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-console-" });
  const socket = `roomcast-console-${Deno.pid}-${Date.now()}`;
  const log = `${dir}/server.log`;
  let pid: number | undefined;
  let client: StreamTestClient | undefined;
  let started = false;
  try {
    await tmux(
      socket,
      "new-session",
      "-d",
      "-s",
      "sh",
      "-x",
      "120",
      "-y",
      "20",
      "-c",
      ROOT,
      "bash --norc --noprofile -i",
    );
    started = true;
    await tmux(
      socket,
      "send-keys",
      "-t",
      "sh",
      `'${Deno.execPath()}' run ${
        PERMISSIONS.serve.join(" ")
      } cli.ts serve -t unix --socket '${dir}/chat.sock' 2>'${log}' & echo $! >'${dir}/pid'`,
      "Enter",
    );
    pid = await until("server pid", async () => {
      const text = (await read(`${dir}/pid`)).trim();
      return text === "" ? undefined : Number(text);
    });
    await until(
      "background notice",
      async () =>
        /console result="in the background/.test(await read(log))
          ? true
          : undefined,
    );
    const url = (await read(log)).match(/listen transport=unix url=(\S+)/)![1]!;

    // Still serving, not stopped by SIGTTIN.
    client = await connectStream(url);
    client.send({ type: "hello", version: 1, software: "test/1" });
    client.send({ type: "join", room: "lobby", name: "amy" });
    assert.equal((await client.next()).type, "hello_ok");
    assert.equal((await client.next()).type, "welcome");
    assert.notEqual(await state(pid), "T", "server stopped");

    // fg: the console reads the terminal and announces each line.
    await tmux(socket, "send-keys", "-t", "sh", "fg", "Enter");
    await until(
      "foreground notice",
      async () =>
        /console result="in the foreground/.test(await read(log))
          ? true
          : undefined,
    );
    await tmux(socket, "send-keys", "-t", "sh", "-l", "restart at 10");
    await tmux(socket, "send-keys", "-t", "sh", "Enter");
    assert.deepEqual(await client.next(), {
      type: "announcement",
      room: null,
      text: "restart at 10",
    });

    // Ctrl-C: an orderly shutdown.
    await tmux(socket, "send-keys", "-t", "sh", "C-c");
    assert.deepEqual(await client.next(), {
      type: "left",
      room: "lobby",
      name: "amy",
      reason: "shutdown",
    });
    await until(
      "server exit",
      async () =>
        [undefined, "Z"].includes(await state(pid!)) ? true : undefined,
    );
  } finally {
    await client?.close();
    if (pid !== undefined && await state(pid) !== undefined) {
      Deno.kill(pid, "SIGKILL");
    }
    if (started) await tmux(socket, "kill-server").catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
