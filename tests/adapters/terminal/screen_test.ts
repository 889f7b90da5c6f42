// `cli.ts join` on a real interactive terminal: a tmux pane. Incoming lines
// must be printed above the prompt without garbling the line being typed.
// tmux is a test dependency (.ci/deps.sh installs it): without it this test
// fails, it does not skip.

import assert from "node:assert/strict";
import { serve } from "../../../adapters/server/serve.ts";
import { connectStream, type StreamTestClient } from "../_client.ts";
import { PERMISSIONS } from "../../_process.ts";
import { tmux } from "../_tmux.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const WAIT_MS = 8000;

/** The pane's visible lines, trailing blank lines dropped. */
async function screen(socket: string): Promise<string[]> {
  const text = await tmux(socket, "capture-pane", "-p", "-t", "chat");
  const lines = text.split("\n").map((l) => l.trimEnd());
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return lines;
}

/** Poll the pane until `ready` holds for its lines. */
async function waitScreen(
  socket: string,
  ready: (lines: string[]) => boolean,
  what: string,
): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  let lines: string[] = [];
  while (Date.now() < deadline) {
    lines = await screen(socket);
    if (ready(lines)) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${what}: not on screen after ${WAIT_MS} ms:\n${lines.join("\n")}`,
  );
}

async function type(socket: string, text: string, enter = false) {
  await tmux(socket, "send-keys", "-t", "chat", "-l", text);
  if (enter) await tmux(socket, "send-keys", "-t", "chat", "Enter");
}

Deno.test("terminal: incoming lines do not garble the line being typed", async () => {
  const server = await serve({ transports: ["tcp"], port: 0 });
  const url = server.listeners[0]!.url;
  const socket = `roomcast-test-${Deno.pid}-${Date.now()}`;
  const clients: StreamTestClient[] = [];
  let started = false;
  try {
    const bob = await connectStream(url);
    clients.push(bob);
    bob.send({ type: "hello", version: 1, software: "test/1" });
    bob.send({ type: "join", room: "lobby", name: "bob" });
    assert.equal((await bob.next()).type, "hello_ok");
    assert.equal((await bob.next()).type, "welcome");

    // No --name: the client asks for one on a terminal.
    const command = [
      Deno.execPath(),
      "run",
      ...PERMISSIONS.client,
      "cli.ts",
      "join",
      "--server",
      url,
      "--lang",
      "en",
    ].map((a) => `'${a}'`).join(" ") + '; echo "exit=$?"; sleep 60';
    await tmux(
      socket,
      "new-session",
      "-d",
      "-s",
      "chat",
      "-x",
      "100",
      "-y",
      "20",
      "-c",
      ROOT,
      "-e",
      "NO_COLOR=1",
      command,
    );
    started = true;
    await waitScreen(socket, (l) => l.at(-1) === "name:", "name prompt");
    // A taken name: asked again on the terminal, not an exit.
    await type(socket, "BOB", true);
    await waitScreen(
      socket,
      (l) => l.at(-1) === "try another name:",
      "retry prompt",
    );
    // An empty answer is no answer: asked again, not an exit.
    await type(socket, "", true);
    await waitScreen(
      socket,
      (l) =>
        l.at(-1) === "try another name:" && l.at(-2) === "try another name:",
      "retry prompt again",
    );
    await type(socket, "amy", true);
    await waitScreen(
      socket,
      (l) => l.some((x) => x.startsWith("you are amy in lobby")),
      "welcome",
    );
    assert.deepEqual(await bob.next(), {
      type: "joined",
      room: "lobby",
      name: "amy",
    });
    await waitScreen(socket, (l) => l.at(-1) === ">", "prompt");

    // A partial line, then a message arrives.
    await type(socket, "hello wor");
    await waitScreen(socket, (l) => l.at(-1) === "> hello wor", "partial line");
    bob.send({ type: "say", text: "incoming line" });
    // The screen settles with the incoming line above the intact prompt.
    const lines = await waitScreen(
      socket,
      (l) =>
        l.at(-2) === "bob says: incoming line" && l.at(-1) === "> hello wor",
      "incoming line above the partial line",
    );
    assert.equal(lines.filter((l) => l.startsWith(">")).length, 1);

    // Finish the line: bob gets it whole.
    await type(socket, "ld", true);
    assert.deepEqual(await bob.next(), {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "hello world",
    });

    // A partial line that wraps over two rows of the 100-column pane.
    const long = "x".repeat(150) + "tail";
    await type(socket, long);
    await waitScreen(
      socket,
      (l) => l.at(-1) === "x".repeat(52) + "tail",
      "long line",
    );
    bob.send({ type: "say", text: "second incoming" });
    const bottom = [
      "bob says: second incoming",
      "> " + "x".repeat(98),
      "x".repeat(52) + "tail",
    ];
    const wrapped = await waitScreen(
      socket,
      (l) => bottom.every((line, i) => l.at(i - 3) === line),
      "second incoming line above the wrapped partial line",
    );
    const shown = wrapped.join("\n");
    assert.ok(wrapped.includes("bob says: incoming line"), shown);
    assert.equal(wrapped.filter((l) => l.startsWith("> x")).length, 1, shown);
    await type(socket, "", true);
    assert.deepEqual(await bob.next(), {
      type: "message",
      room: "lobby",
      from: "amy",
      text: long,
    });

    // A multi-line message: its lines as lines, indented under the sender,
    // above the prompt.
    bob.send({ type: "say", text: "first\nsecond" });
    await waitScreen(
      socket,
      (l) =>
        l.at(-3) === "bob says: first" && l.at(-2) === "  second" &&
        l.at(-1) === ">",
      "a multi-line message",
    );

    // Ctrl-D on an empty line: leave, exit 0.
    await tmux(socket, "send-keys", "-t", "chat", "C-d");
    assert.deepEqual(await bob.next(), {
      type: "left",
      room: "lobby",
      name: "amy",
      reason: "quit",
    });
    // The pane's shell prints the exit status (tmux itself may be slow to
    // reap the process and report it).
    await waitScreen(socket, (l) => l.at(-1) === "exit=0", "exit status 0");
  } finally {
    if (started) await tmux(socket, "kill-server").catch(() => {});
    await Promise.all(clients.map((c) => c.close()));
    await server.shutdown();
  }
});
