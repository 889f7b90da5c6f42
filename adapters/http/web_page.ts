/**
 * The chat page: `GET /` serves adapters/web/page.html, `/assets/*` its
 * stylesheet and icon, and `/src/*` the browser's modules. The page's script
 * is TypeScript (adapters/web/*.ts) and imports the core's own rendering
 * table (core/text/render.ts), so the page says exactly what the CLI says in
 * every language, and the core's codec (core/codec/), so it reads the same
 * binary frames as TCP clients; both are served as JavaScript, their types
 * stripped by sucrase on first request and kept in memory. No build step. The
 * files come from adapters/web/mod.ts, which imports them: no file is read
 * at run time, so they are inside a `deno compile` binary too.
 *
 * @module
 */

import type { Env, Hono, Schema } from "npm:hono@4";
import { PAGE_FILES, PAGE_MODULES } from "../web/mod.ts";
import { HttpProblem } from "./problem.ts";

/** Files served as they are, by URL path. */
const FILES: ReadonlyMap<string, { path: string; type: string }> = new Map([
  ["/", {
    path: "adapters/web/page.html",
    type: "text/html; charset=utf-8",
  }],
  ["/assets/page.css", {
    path: "adapters/web/page.css",
    type: "text/css; charset=utf-8",
  }],
  ["/assets/icon.svg", {
    path: "adapters/web/icon.svg",
    type: "image/svg+xml",
  }],
  ["/assets/announce.svg", {
    path: "adapters/web/announce.svg",
    type: "image/svg+xml",
  }],
]);

/**
 * The page's Content-Security-Policy: scripts, styles and connections from
 * this origin only (a member's text could never run even if it reached the
 * DOM as HTML, which it does not).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly type: string;
  readonly etag: string;
}

const cache = new Map<string, Promise<Asset>>();

/**
 * Serve the chat page on an app: `GET /`, `GET /assets/*` and
 * `GET /src/*`. Routes under `/api` are untouched.
 *
 * @param app The HTTP app (adapters/http/app.ts).
 * @example
 * ```ts ignore
 * const app = createHttpApp(hub);
 * registerWebPage(app);
 * ```
 */
export function registerWebPage<
  E extends Env,
  S extends Schema,
  B extends string,
>(app: Hono<E, S, B>): void {
  const serve = async (request: Request, key: string): Promise<Response> => {
    let asset: Asset;
    try {
      asset = await load(key);
    } catch {
      cache.delete(key);
      return notFound(key);
    }
    const headers: Record<string, string> = {
      "content-type": asset.type,
      "cache-control": "no-cache",
      etag: asset.etag,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    };
    if (asset.type.startsWith("text/html")) {
      headers["content-security-policy"] = PAGE_CSP;
    }
    if (request.headers.get("if-none-match") === asset.etag) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(asset.body, { headers });
  };
  for (const path of FILES.keys()) {
    app.get(path, (c) => serve(c.req.raw, path));
  }
  app.get("/src/*", (c) => {
    const path = new URL(c.req.url).pathname;
    if (!PAGE_MODULES.has(path.slice("/src/".length))) return notFound(path);
    return serve(c.req.raw, path);
  });
}

function load(key: string): Promise<Asset> {
  let asset = cache.get(key);
  if (asset === undefined) {
    asset = key.startsWith("/src/") ? loadModule(key) : loadFile(key);
    cache.set(key, asset);
  }
  return asset;
}

async function loadFile(key: string): Promise<Asset> {
  const file = FILES.get(key)!;
  const text = PAGE_FILES.get(file.path);
  if (text === undefined) throw new Error(`Cannot serve ${file.path}`);
  return await asset(new TextEncoder().encode(text), file.type);
}

async function loadModule(key: string): Promise<Asset> {
  const path = key.slice("/src/".length);
  const source = PAGE_MODULES.get(path);
  if (source === undefined) throw new Error(`Cannot serve ${path}`);
  const { transform } = await import("npm:sucrase@3");
  const { code } = transform(source, {
    transforms: ["typescript"],
    disableESTransforms: true,
    filePath: path,
  });
  return asset(
    new TextEncoder().encode(code),
    "text/javascript; charset=utf-8",
  );
}

async function asset(
  body: Uint8Array<ArrayBuffer>,
  type: string,
): Promise<Asset> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const hex = Array.from(digest.subarray(0, 12), (b) => b.toString(16))
    .map((h) => h.padStart(2, "0")).join("");
  return { body, type, etag: `"${hex}"` };
}

function notFound(path: string): Response {
  return new HttpProblem(404, "NOT_FOUND", `Cannot GET ${path}: no such file`)
    .toResponse();
}
