/**
 * Which web pages may open a chat session: the `Origin` rule of
 * `GET /api/ws` and `POST /api/rooms/{room}/sessions`. A browser sends
 * `Origin` on every WebSocket upgrade and cross-site POST, and WebSockets are
 * not bound by CORS: without this check any page a user visits could chat
 * through the user's local (or intranet) server in the user's name.
 *
 * The rule ({@link originAllowed}): no `Origin` (programs, `curl`) is
 * allowed; the server's own origin (the request's `Host`, over `http` or
 * `https`) is allowed; origins given with `serve --allow-origin` are
 * allowed; `*` there allows every origin; anything else is refused.
 *
 * The server's own origin is judged from the `Host` header, which a page
 * controls through DNS rebinding (`evil.example` first resolving to the
 * page's server, then to 127.0.0.1). So a server bound to a loopback address
 * also checks `Host` on every request ({@link hostAllowed}): loopback names,
 * and the names given with `serve --allow-host`.
 *
 * @module
 */

import { isLoopbackHost } from "../../core/loopback.ts";

/**
 * The canonical form of an origin for `--allow-origin`: `scheme://host[:port]`
 * with the scheme and host lower-cased and a default port dropped, or `*`.
 *
 * @param value An origin as a user wrote it (`https://Chat.Example.com:443`).
 * @returns The canonical origin (`https://chat.example.com`), or `*`.
 * @throws {TypeError} When the value is not an http(s) origin.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseOrigin("HTTPS://Chat.Example.com:443"), "https://chat.example.com");
 * assert.throws(() => parseOrigin("https://example.com/path"), TypeError);
 * ```
 */
export function parseOrigin(value: string): string {
  const text = value.trim();
  if (text === "*") return "*";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(
      `Cannot use origin "${value}": write it as http(s)://HOST[:PORT]`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `Cannot use origin "${value}": the scheme must be http or https`,
    );
  }
  if (
    url.username !== "" || url.password !== "" || url.search !== "" ||
    url.hash !== "" || !/^[a-z]+:\/\/[^/]+\/?$/i.test(text)
  ) {
    throw new TypeError(
      `Cannot use origin "${value}": an origin has no path, query or user`,
    );
  }
  return url.origin;
}

/**
 * Whether a request from `origin` may open a chat session.
 *
 * @param origin The request's `Origin` header (null or undefined: none).
 * @param host The request's `Host` header: the server's own origin is
 *   `http://HOST` or `https://HOST` (the latter behind a TLS proxy).
 * @param allowed Canonical origins from {@link parseOrigin}; `*` allows all.
 * @returns True when allowed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(originAllowed(null, "127.0.0.1:8787", []));
 * assert.ok(originAllowed("http://127.0.0.1:8787", "127.0.0.1:8787", []));
 * assert.ok(!originAllowed("https://evil.example", "127.0.0.1:8787", []));
 * assert.ok(originAllowed("https://evil.example", "127.0.0.1:8787", ["https://evil.example"]));
 * ```
 */
export function originAllowed(
  origin: string | null | undefined,
  host: string | null | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === null || origin === undefined) return true;
  if (allowed.includes("*")) return true;
  let url: URL;
  try {
    url = new URL(origin.trim());
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (allowed.includes(url.origin)) return true;
  if (!host) return false;
  let own: URL;
  try {
    // The Host header with the Origin's scheme, so default ports compare
    // equal (`Host: example.com` is `https://example.com:443` over TLS).
    own = new URL(`${url.protocol}//${host.trim()}`);
  } catch {
    return false;
  }
  return own.pathname === "/" && own.username === "" && own.search === "" &&
    own.host === url.host;
}

/**
 * Whether a request's `Host` names this server. A server bound to a
 * loopback address serves only loopback names (`localhost`, 127.0.0.0/8,
 * `[::1]`) and the names it was given; one bound elsewhere, without a list
 * of names, serves any (a proxy in front of it decides).
 *
 * @param host The request's `Host` header (missing: allowed, no browser
 *   sends a request without one).
 * @param allowed Host names allowed besides loopback ones, lower case, no
 *   port; undefined: any host.
 * @returns True when allowed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(hostAllowed("127.0.0.1:8787", []));
 * assert.ok(hostAllowed("localhost:8787", []));
 * assert.ok(!hostAllowed("evil.example:8787", []));
 * assert.ok(hostAllowed("chat.example.com", ["chat.example.com"]));
 * assert.ok(hostAllowed("evil.example", undefined));
 * ```
 */
export function hostAllowed(
  host: string | null | undefined,
  allowed: readonly string[] | undefined,
): boolean {
  if (allowed === undefined || host === null || host === undefined) {
    return true;
  }
  let name: string;
  try {
    name = new URL(`http://${host.trim()}`).hostname;
  } catch {
    return false;
  }
  return isLoopbackHost(name) || allowed.includes(name.toLowerCase());
}

/**
 * The canonical form of a host name for `--allow-host`: lower case, no
 * port.
 *
 * @param value A host name as a user wrote it (`Chat.Example.com`).
 * @returns The canonical name.
 * @throws {TypeError} When the value is not a host name.
 */
export function parseHost(value: string): string {
  const text = value.trim();
  let url: URL | undefined;
  try {
    url = new URL(`http://${text}`);
  } catch {
    url = undefined;
  }
  if (
    url === undefined || url.host !== url.hostname || text === "" ||
    /[/?#@\s]/.test(text)
  ) {
    throw new TypeError(
      `Cannot use host "${value}": write a host name without a port`,
    );
  }
  return url.hostname;
}
