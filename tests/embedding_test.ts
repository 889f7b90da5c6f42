// Embedding from anywhere: the README's embedding snippet, written into a
// temporary folder outside the repository (no deno.json of ours, no import
// map), imports mod.ts by its file URL, starts a server on a free port,
// prints the address it got, and its bot answers a client.

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../core/codec/mod.ts";
import type { ChatEvent } from "../core/events.ts";
import { dial } from "../mod.ts";
import { Proc } from "./_process.ts";

const ROOT = new URL("../", import.meta.url);

/** The ```ts block of the README's "Embedding" section. */
async function readmeSnippet(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(readme.indexOf("\n## Embedding\n"));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, "README: no ts block under ## Embedding");
  return m[1]!;
}

Deno.test("embedding: the README snippet runs from a folder outside the repository", async () => {
  const snippet = await readmeSnippet();
  assert.match(snippet, /from "\.\/mod\.ts"/);
  const dir = await Deno.makeTempDir({ prefix: "roomcast-embed-" });
  assert.ok(!dir.startsWith(ROOT.pathname), "the folder is outside the repo");
  const main = `${dir}/main.ts`;
  await Deno.writeTextFile(
    main,
    snippet.replace('"./mod.ts"', JSON.stringify(new URL("mod.ts", ROOT).href)),
  );
  const proc = new Proc(
    Deno.execPath(),
    ["run", "--allow-net", main],
    { cwd: dir },
  );
  let conn: Awaited<ReturnType<typeof dial>> | undefined;
  try {
    const m = await proc.expect(
      /listening on (tcp:\/\/127\.0\.0\.1:\d+)/,
      "stdout",
      60_000, // may fetch npm packages into an empty cache
    );
    const url = new URL(m[1]!);
    assert.notEqual(url.port, "7878", "port 0 picks a free port");
    conn = await dial(url);
    const heard: ChatEvent[] = [];
    let wake = () => {};
    conn.onEvent = (e) => {
      heard.push(e as ChatEvent);
      wake();
    };
    conn.send({
      type: "hello",
      version: PROTOCOL_VERSION,
      software: "embedding-test",
    });
    conn.send({ type: "join", room: "lobby", name: "amy" });
    conn.send({ type: "say", text: "hi" });
    const deadline = Date.now() + 10_000;
    const answered = () =>
      heard.some((e) =>
        e.type === "message" && e.from === "echo-bot" &&
        e.text === "amy said: hi"
      );
    while (!answered() && Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, 200);
      });
      clearTimeout(timer);
    }
    assert.ok(answered(), `no answer from the bot: ${JSON.stringify(heard)}`);
    assert.ok(
      heard.some((e) => e.type === "welcome" && e.members.includes("echo-bot")),
    );
    assert.equal(proc.stderr.includes("error"), false, proc.stderr);
  } finally {
    conn?.close();
    await conn?.closed;
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
