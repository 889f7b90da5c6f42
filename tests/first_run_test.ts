// A newcomer's first run: `deno task serve` in a real terminal (tmux) with an
// empty Deno cache, so that Deno downloads every npm package first and draws
// its progress bar. Once the server is up, the screen must show every
// address (tcp://, unix://, the http:// page), the admin token's file and
// what the console does, and keep showing them: Deno's progress bar, when it
// clears itself, must not erase them (it did: the unix and http lines
// vanished). The downloads come from the npm registry and take a while; the
// test runs once and every wait is bounded.

import assert from "node:assert/strict";
import { tmux } from "./adapters/_tmux.ts";

const ROOT = new URL("../", import.meta.url);

/** The screen, wrapped lines joined. */
function screen(socket: string): Promise<string> {
  return tmux(socket, "capture-pane", "-p", "-J", "-t", "first");
}

Deno.test("first run: an empty Deno cache, deno task serve in a terminal, every address on screen", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-first-run-" });
  const socket = `roomcast-first-run-${Deno.pid}`;
  const shell = [
    `cd ${ROOT.pathname}`,
    `export DENO_DIR=${dir}/deno XDG_RUNTIME_DIR=${dir}`,
    `${Deno.execPath()} task serve --port 0 --http-port 0`,
    "echo exited $?",
    "sleep 60",
  ].join(" && ").replace("&& echo", "; echo").replace("&& sleep", "; sleep");
  try {
    await tmux(
      socket,
      "new-session",
      "-d",
      "-s",
      "first",
      "-x",
      "200",
      "-y",
      "60",
      shell,
    );
    // Everything written to the terminal, escape sequences included.
    await tmux(
      socket,
      "pipe-pane",
      "-o",
      "-t",
      "first",
      `cat > ${dir}/terminal.bin`,
    );
    // The first run downloads the npm packages: bounded, generously.
    const deadline = Date.now() + 240_000;
    let text = "";
    while (Date.now() < deadline) {
      text = await screen(socket);
      if (/is serving:|exited \d+/.test(text)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.match(text, /is serving:/, `no banner on screen:\n${text}`);
    // Give a progress bar that clears late the time to do its damage.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    text = await screen(socket);
    const expected = [
      /^roomcast \S+ is serving:$/m,
      /^ {2}tcp:\/\/127\.0\.0\.1:\d+ +join, or nc 127\.0\.0\.1 \d+$/m,
      new RegExp(`^ {2}unix://${dir}/roomcast\\.sock +nc -U `, "m"),
      /^ {2}http:\/\/127\.0\.0\.1:\d+\/ +the chat page/m,
      new RegExp(`^ {2}admin token: ${dir}/roomcast-admin\\.token$`, "m"),
      /^Lines typed here are announced to every room/m,
      /--quiet or --log json\.$/m,
      // The log lines above the banner are intact too.
      /listen transport=tcp url=tcp:\/\//,
      /listen transport=unix url=unix:\/\//,
      /listen transport=http url=http:\/\//,
    ];
    for (const re of expected) {
      assert.match(text, re, `not on screen:\n${text}`);
    }
    // It was a first run: the packages were downloaded, with a progress bar.
    const raw = await Deno.readTextFile(`${dir}/terminal.bin`);
    assert.match(raw, /Download/, "no download: not a first run");
    // deno-lint-ignore no-control-regex
    const task = raw.search(/Task(?:\x1b\[[\d;]*m)* (?:\x1b\[[\d;]*m)*serve/);
    assert.ok(task >= 0, raw);
    // Once the server runs, nothing moves the cursor up: a progress bar that
    // clears itself does so by moving up over the lines it drew, which by
    // then may be the server's.
    const after = raw.slice(task);
    assert.doesNotMatch(
      after,
      // deno-lint-ignore no-control-regex
      /\x1b\[\d*A/,
      `the cursor moves up after the server started:\n${JSON.stringify(after)}`,
    );
    // The page is where the screen says.
    const page = /^ {2}(http:\/\/\S+)/m.exec(text)![1]!;
    const res = await fetch(page);
    await res.body?.cancel();
    assert.equal(res.status, 200);

    // Ctrl-C stops it (deno task passes the signal on).
    await tmux(socket, "send-keys", "-t", "first", "C-c");
    const stopBy = Date.now() + 20_000;
    while (Date.now() < stopBy && !/exited \d+/.test(text)) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      text = await screen(socket);
    }
    assert.match(text, /stopped/, text);
    assert.match(text, /exited \d+/, text);
  } finally {
    await tmux(socket, "kill-server").catch(() => "");
    await Deno.remove(dir, { recursive: true });
  }
});
