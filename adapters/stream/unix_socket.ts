/**
 * The Unix socket file's life: a stale file left by a crashed server is
 * replaced, a live server's socket and a file that is not a socket never are.
 *
 * @module
 */

import { ListenError, messageOf } from "../errors.ts";

/**
 * Make way for a Unix socket at `path`: nothing there, or a stale socket
 * (nothing answers it), which is removed.
 *
 * @param path The socket path.
 * @throws {ListenError} When a live server listens there, or a file that is
 *   not a socket is in the way, or the path cannot be inspected.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new ListenError(`Cannot listen on ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  if (!info.isSocket) {
    throw new ListenError(
      `Cannot listen on ${path}: a file that is not a socket is in the way`,
    );
  }
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
  } catch (e) {
    if (
      e instanceof Deno.errors.ConnectionRefused ||
      e instanceof Deno.errors.NotFound
    ) {
      await removeSocket(path); // stale: left by a crashed server
      return;
    }
    throw new ListenError(`Cannot listen on ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  throw new ListenError(
    `Cannot listen on ${path}: another server is listening there`,
  );
}

/**
 * The URL of a socket path: absolute, with characters URLs reserve escaped.
 *
 * @param path The socket path, relative to the working directory or absolute.
 * @returns `unix:///...`.
 */
export function unixUrl(path: string): string {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  return `unix://${encodeURI(absolute).replace(/[?#]/g, encodeURIComponent)}`;
}

/**
 * Remove a socket file; one already gone is fine.
 *
 * @param path The socket path.
 */
export async function removeSocket(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // already gone
  }
}
