// The README's commands run as written on a fresh machine: the two commands
// through npx first, then Deno is put on PATH once, every `deno task NAME` is a task of deno.json, and
// the paths shown are the ones the code uses.

import assert from "node:assert/strict";
import { defaultSocketPath } from "../adapters/server/mod.ts";
import { defaultAdminTokenPath } from "../adapters/http/mod.ts";

const ROOT = new URL("../", import.meta.url);
const readme = await Deno.readTextFile(new URL("README.md", ROOT));
const config = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", ROOT)),
) as { tasks: Record<string, string> };

/** The lines of the README's ```sh blocks. */
function shellLines(): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split("\n"))
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

Deno.test("README: the two commands come first, then deno is put on PATH, and every deno task is a task", () => {
  const lines = shellLines().map((l) => l.split(/\s+#/)[0]!.trim());
  assert.deepEqual(lines.slice(0, 3), [
    "npx -y deno@2 task serve",
    "npx -y deno@2 task test",
    "npm install -g deno@2",
  ]);
  const tasks = [...readme.matchAll(/\bdeno task ([\w:-]+)/g)].map((m) =>
    m[1]!
  );
  assert.ok(tasks.length > 10);
  for (const task of tasks) {
    assert.ok(task in config.tasks, `deno task ${task}: no such task`);
  }
  // No command hides deno behind npx after those.
  for (const line of lines.slice(3)) {
    assert.doesNotMatch(line, /npx/, line);
  }
});

Deno.test("README: the socket and admin token paths are the code's", () => {
  const env = Deno.env.get("XDG_RUNTIME_DIR");
  try {
    Deno.env.set("XDG_RUNTIME_DIR", "/run/user/1000");
    assert.equal(defaultSocketPath(), "/run/user/1000/roomcast.sock");
    assert.ok(readme.includes("`$XDG_RUNTIME_DIR/roomcast.sock`"));
    assert.ok(readme.includes("$XDG_RUNTIME_DIR/roomcast-admin.token"));
    assert.equal(
      defaultAdminTokenPath(),
      "/run/user/1000/roomcast-admin.token",
    );
    Deno.env.delete("XDG_RUNTIME_DIR");
    const uid = Deno.uid() ?? 0;
    assert.equal(defaultSocketPath(), `/tmp/roomcast-${uid}.sock`);
    assert.ok(readme.includes("`/tmp/roomcast-$(id -u).sock`"));
    assert.equal(defaultAdminTokenPath(), `/tmp/roomcast-${uid}-admin.token`);
    assert.ok(readme.includes("/tmp/roomcast-$(id -u)-admin.token"));
  } finally {
    if (env === undefined) Deno.env.delete("XDG_RUNTIME_DIR");
    else Deno.env.set("XDG_RUNTIME_DIR", env);
  }
});
