// Stream-adapter behaviour that the conformance suite does not cover: the
// Unix socket file's life. (Deno's listener.close() itself unlinks the path,
// whatever file is there by then, so a server cannot spare a socket file
// that replaced its own.)

import assert from "node:assert/strict";
import { serve } from "../../../adapters/server/serve.ts";
import { ListenError } from "../../../adapters/errors.ts";
import { connectStream } from "../_client.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test("stream: a live socket is not stolen; shutdown removes the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-stream-" });
  const path = `${dir}/chat.sock`;
  try {
    const a = await serve({ transports: ["unix"], socketPath: path });
    try {
      await assert.rejects(
        serve({ transports: ["unix"], socketPath: path }),
        (e) =>
          e instanceof ListenError &&
          /another server is listening/.test(e.message),
      );
      // A still serves.
      const c = await connectStream(a.listeners[0]!.url);
      c.send({ type: "hello", version: 1, software: "test/1" });
      assert.equal((await c.next()).type, "hello_ok");
      await c.close();
    } finally {
      await a.shutdown();
    }
    assert.ok(!(await exists(path)), "socket file removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stream: a file that is not a socket is never replaced", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-stream-" });
  const path = `${dir}/notes.txt`;
  try {
    await Deno.writeTextFile(path, "keep");
    await assert.rejects(
      serve({ transports: ["unix"], socketPath: path }),
      (e) => e instanceof ListenError && /not a socket/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(path), "keep");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
