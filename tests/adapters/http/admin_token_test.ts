// The admin token: from the environment or a file, or made and kept in a
// private file; compared in constant time.

import assert from "node:assert/strict";
import {
  loadAdminToken,
  randomToken,
  tokensEqual,
} from "../../../adapters/http/admin_token.ts";

Deno.test("admin token: the environment wins, then the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/t`;
    await Deno.writeTextFile(file, "  file-token-0123456789abcdef \n");
    assert.deepEqual(
      await loadAdminToken({ token: "env-token-0123456789abcdef", file }),
      { token: "env-token-0123456789abcdef", source: "env" },
    );
    assert.deepEqual(await loadAdminToken({ file }), {
      token: "file-token-0123456789abcdef",
      source: "file",
      path: file,
    });
    await assert.rejects(
      loadAdminToken({ token: "short" }),
      /Cannot use admin token from CHAT_ADMIN_TOKEN/,
    );
    await assert.rejects(
      loadAdminToken({ file: `${dir}/missing` }),
      /Cannot read admin token from/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin token: generated into a 0600 file, reused after, never through a link", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/admin.token`;
    const made = await loadAdminToken({ generatedPath: path });
    assert.equal(made.source, "generated");
    assert.match(made.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const again = await loadAdminToken({ generatedPath: path });
    assert.deepEqual(again, { token: made.token, source: "reused", path });
    // Readable by others: not trusted, replaced.
    await Deno.chmod(path, 0o644);
    const fresh = await loadAdminToken({ generatedPath: path });
    assert.equal(fresh.source, "generated");
    assert.notEqual(fresh.token, made.token);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    // A symlink planted at the path is not followed.
    const target = `${dir}/target`;
    await Deno.writeTextFile(target, "keep");
    await Deno.remove(path);
    await Deno.symlink(target, path);
    await assert.rejects(
      loadAdminToken({ generatedPath: path }),
      /Cannot write admin token to .*not a file/,
    );
    assert.equal(await Deno.readTextFile(target), "keep");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin token: tokens compare equal only when equal", async () => {
  const a = randomToken();
  assert.notEqual(a, randomToken());
  assert.equal(await tokensEqual(a, a), true);
  assert.equal(await tokensEqual(a + "x", a), false);
  assert.equal(await tokensEqual("", a), false);
});
