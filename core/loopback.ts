/**
 * Loopback hosts, sans-IO. Not specific to one transport: the datagram
 * limits turn text mode over UDP on by default only on a loopback address,
 * and the HTTP adapter accepts any `Host` header on one.
 *
 * @module
 */

/**
 * Whether a host to bind is a loopback address: `localhost`, 127.0.0.0/8
 * (also IPv4-mapped, `::ffff:127.0.0.1`) or `::1`. Any other form,
 * wildcards (`0.0.0.0`, `::`) included, is not.
 *
 * @param hostname The host, as given to bind (brackets allowed).
 * @returns True for a loopback host.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isLoopbackHost("127.0.0.1") && isLoopbackHost("[::1]"));
 * assert.ok(!isLoopbackHost("0.0.0.0") && !isLoopbackHost("192.168.1.2"));
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = host.replace(/^(?:0{0,4}:){5}ffff:/, "").replace(/^::ffff:/, "");
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) {
    return v4.split(".").every((p) => Number(p) <= 255);
  }
  return /^(?:0{0,4}:){7}0{0,3}1$/.test(host) ||
    /^(?:0{0,4}:){0,6}:0{0,3}1$/.test(host);
}
