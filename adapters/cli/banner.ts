/**
 * The block `cli.ts serve` prints once every listener is up: where to
 * connect (each address), where the admin token is, and what the console
 * does. It is for the person who started the server; operators who want
 * machine logs only pass `--quiet` or `--log json`, which leave it out.
 *
 * @module
 */

/** What the startup banner shows. */
export interface BannerInfo {
  /** The version of roomcast. */
  version: string;
  /** Each listener: its transport and URL. */
  listeners: readonly { transport: string; url: string }[];
  /**
   * Where the admin token comes from: its source (`env`, `file`, `reused`,
   * `generated`) and file, as logged by the HTTP listener; none without
   * HTTP.
   */
  adminToken?: { source: string; file?: string | undefined } | undefined;
  /**
   * More lines about the server (one fact each, such as a limit the
   * operating system imposes), shown after the addresses.
   */
  notes?: readonly string[];
}

/** What each transport's address is for, after the address. */
function purpose(transport: string, url: string): string {
  const u = new URL(url);
  switch (transport) {
    case "http":
      return "the chat page; the HTTP API under /api";
    case "tcp":
      return `join, or nc ${u.hostname} ${u.port}`;
    case "unix":
      return `nc -U ${decodeURIComponent(u.pathname)}`;
    case "udp":
      return `nc -u ${u.hostname} ${u.port}`;
    default:
      return "";
  }
}

/**
 * The startup banner: a few lines, each address first (the chat page as
 * `http://HOST:PORT/`), the admin token's file, and the console's use.
 *
 * @param info The listeners, the admin token and extra notes.
 * @returns The lines, each ending with a line break.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = formatBanner({
 *   version: "0.1.0",
 *   listeners: [{ transport: "http", url: "http://127.0.0.1:8787" }],
 *   adminToken: { source: "generated", file: "/tmp/roomcast-0-admin.token" },
 * });
 * assert.match(text, /^ {2}http:\/\/127\.0\.0\.1:8787\/ /m);
 * assert.match(text, /admin token: \/tmp\/roomcast-0-admin\.token/);
 * ```
 */
export function formatBanner(info: BannerInfo): string {
  const addresses = info.listeners.map((l) =>
    l.transport === "http" ? `${l.url}/` : l.url
  );
  const width = Math.max(0, ...addresses.map((a) => a.length));
  const lines = [`roomcast ${info.version} is serving:`];
  info.listeners.forEach((l, i) => {
    const note = purpose(l.transport, l.url);
    lines.push(`  ${addresses[i]!.padEnd(width)}${note ? `  ${note}` : ""}`);
  });
  const token = info.adminToken;
  if (token?.source === "env") {
    lines.push("  admin token: from CHAT_ADMIN_TOKEN");
  } else if (token?.file !== undefined) {
    lines.push(`  admin token: ${token.file}`);
  }
  for (const note of info.notes ?? []) lines.push(`  ${note}`);
  lines.push(
    "Lines typed here are announced to every room (*** admin says: ...).",
    "Ctrl-C stops the server. Machine logs only: --quiet or --log json.",
  );
  return lines.map((l) => l + "\n").join("");
}
