// Request bodies are bounded without copying the request: no body, a
// Content-Length body and a chunked body all work (or are refused, 413),
// and Deno never prints its `request.signal aborts on successful responses`
// warning to the operator (it did for a POST with no body, answered 422).

import assert from "node:assert/strict";
import { Proc } from "../../_process.ts";

/** A chunked body: a stream, so fetch sends no Content-Length. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.subarray(0, 5));
      controller.enqueue(bytes.subarray(5));
      controller.close();
    },
  });
}

Deno.test("body limit: no body, chunked and sized bodies, and no Deno warning in the operator's console", async () => {
  const proc = Proc.cli("serve", [
    "serve",
    "-t",
    "http",
    "--http-port",
    "0",
    "--http-max-body",
    "100",
  ], { env: { CHAT_ADMIN_TOKEN: "a-long-secret-token-for-tests" } });
  try {
    const url = (await proc.expect(
      /listen transport=http url=(\S+)/,
      "stderr",
    ))[1]!;
    const post = async (init: RequestInit) => {
      const res = await fetch(`${url}/api/rooms/lobby/sessions`, {
        method: "POST",
        ...init,
      });
      return { status: res.status, body: await res.json() };
    };
    // No body at all.
    assert.equal((await post({})).status, 422);
    // Chunked, within the bound: the routes read it.
    const ok = await post({
      headers: { "content-type": "application/json" },
      body: chunked(JSON.stringify({ name: "amy" })),
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.name, "amy");
    // Chunked, over the bound.
    const big = JSON.stringify({ name: "x".repeat(200) });
    const chunkedBig = await post({
      headers: { "content-type": "application/json" },
      body: chunked(big),
    });
    assert.equal(chunkedBig.status, 413);
    assert.equal(chunkedBig.body.code, "BODY_TOO_LARGE");
    // Sized, over the bound.
    const sized = await post({
      headers: { "content-type": "application/json" },
      body: big,
    });
    assert.equal(sized.status, 413);
    // Malformed chunked JSON is still a 400 of ours.
    const bad = await post({
      headers: { "content-type": "application/json" },
      body: chunked("{not json"),
    });
    assert.equal(bad.status, 400);
    proc.kill("SIGTERM");
    assert.equal((await proc.exit()).code, 0);
    assert.doesNotMatch(proc.stderr, /request\.signal|legacy/);
  } finally {
    await proc.stop();
  }
});
