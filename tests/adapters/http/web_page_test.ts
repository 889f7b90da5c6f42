// The chat page's routes through `app.request()` (no socket, no browser):
// what is served, with which headers, and what is not.

import assert from "node:assert/strict";
import { Hono } from "hono";
import { PAGE_CSP, registerWebPage } from "../../../adapters/http/web_page.ts";
import { PAGE_MODULES } from "../../../adapters/web/mod.ts";
import { CLI, Proc } from "../../_process.ts";

function app(): Hono {
  const app = new Hono();
  registerWebPage(app);
  return app;
}

Deno.test("web page routes: GET / is the page, with a strict CSP", async () => {
  const res = await app().request("/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("content-security-policy"), PAGE_CSP);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert.match(
    html,
    /<script type="module" src="\/src\/adapters\/web\/page.ts">/,
  );
  // No inline script or style for the CSP to allow.
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /\sstyle=|<style/);
  assert.doesNotMatch(PAGE_CSP, /unsafe/);
});

Deno.test("web page routes: modules are served as JavaScript, types stripped", async () => {
  const a = app();
  const res = await a.request("/src/core/text/render.ts");
  assert.equal(res.status, 200);
  assert.equal(
    res.headers.get("content-type"),
    "text/javascript; charset=utf-8",
  );
  const js = await res.text();
  assert.match(js, /export function renderEvent\(\s*event,\s*lang,/);
  assert.doesNotMatch(js, /import type|: Lang\b|: ChatEvent\b/);
  const page = await (await a.request("/src/adapters/web/page.ts")).text();
  assert.match(page, /from "\.\.\/\.\.\/core\/text\/render\.ts"/);
  assert.doesNotMatch(page, /\bas HTMLElement\b|<HTMLElement>/);
});

Deno.test("web page routes: an unchanged file answers 304 to its ETag", async () => {
  const a = app();
  for (const path of ["/", "/assets/page.css", "/src/core/text/render.ts"]) {
    const first = await a.request(path);
    await first.body?.cancel();
    const etag = first.headers.get("etag");
    assert.match(etag ?? "", /^"[0-9a-f]{24}"$/);
    const again = await a.request(path, {
      headers: { "if-none-match": etag! },
    });
    assert.equal(again.status, 304, path);
    assert.equal(await again.text(), "");
  }
});

Deno.test("web page routes: nothing outside the page and the core", async () => {
  const a = app();
  for (
    const path of [
      "/src/adapters/http/app.ts",
      "/src/core/nothing.ts",
      "/src/core/_nothing.ts",
      "/src/core/../deno.json",
      "/src/%2e%2e/deno.json",
      "/src/core/text/render.js",
      "/src/deno.json",
      "/assets/page.ts",
    ]
  ) {
    const res = await a.request(path);
    await res.body?.cancel();
    assert.equal(res.status, 404, path);
  }
  // The core's private modules are served too: the codec, which the page
  // uses for binary frames, imports core/_bytes.ts.
  for (
    const path of [
      "/assets/page.css",
      "/assets/icon.svg",
      "/src/core/_bytes.ts",
      "/src/core/codec/mod.ts",
    ]
  ) {
    const res = await a.request(path);
    await res.body?.cancel();
    assert.equal(res.status, 200, path);
  }
});

Deno.test("web page routes: the browser's modules are page.ts and what it imports, no more, no less", async () => {
  const root = new URL("../../../", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "adapters/web/page.ts"],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const closure = info.modules.map((m) => m.specifier)
    .filter((s) => s.startsWith(root.href))
    .map((s) => s.slice(root.href.length)).sort();
  assert.deepEqual([...PAGE_MODULES.keys()].sort(), closure);
  for (const [path, source] of PAGE_MODULES) {
    assert.equal(
      source,
      await Deno.readTextFile(new URL(path, root)),
      `${path}: the imported text is the file`,
    );
  }
});

Deno.test("web page routes: served with no permission to read files (the files are imports)", async () => {
  // What a `deno compile` binary needs: the page's files travel in the
  // module graph. A server without --allow-read still serves every one.
  const proc = new Proc(Deno.execPath(), [
    "run",
    "-q",
    "--allow-net",
    "--allow-env",
    "--allow-sys=uid,hostname",
    CLI,
    "serve",
    "-t",
    "http",
    "--http-port",
    "0",
  ], { env: { CHAT_ADMIN_TOKEN: "a-long-secret-token-for-tests" } });
  try {
    const m = await proc.expect(
      /listen transport=http url=(\S+)/,
      "stderr",
    );
    for (
      const path of [
        "/",
        "/assets/page.css",
        "/assets/icon.svg",
        "/assets/announce.svg",
        ...[...PAGE_MODULES.keys()].map((p) => `/src/${p}`),
      ]
    ) {
      const res = await fetch(`${m[1]}${path}`);
      await res.body?.cancel();
      assert.equal(res.status, 200, path);
    }
  } finally {
    await proc.stop();
  }
});
