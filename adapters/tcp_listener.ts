/**
 * Binding a TCP port, with the error every listener gives when it cannot.
 * Shared by the stream listener, the HTTP front and its Worker.
 *
 * @module
 */

import { ListenError, messageOf } from "./errors.ts";

/**
 * Listen on a TCP address.
 *
 * @param hostname Host to bind.
 * @param port Port; 0 picks a free one.
 * @param reusePort Share the port with other listeners that set it too.
 * @returns The listener.
 * @throws {ListenError} When the address cannot be bound (its cause is
 *   Deno's error, such as `Deno.errors.AddrInUse`).
 * @example
 * ```ts
 * import { listenTcp } from "./tcp_listener.ts";
 * const listener = listenTcp("127.0.0.1", 0);
 * listener.close();
 * ```
 */
export function listenTcp(
  hostname: string,
  port: number,
  reusePort = false,
): Deno.TcpListener {
  try {
    return Deno.listen({
      transport: "tcp",
      hostname,
      port,
      ...(reusePort ? { reusePort: true } : {}),
    });
  } catch (cause) {
    throw new ListenError(
      `Cannot listen on ${hostname}:${port}: ${messageOf(cause)}`,
      { cause },
    );
  }
}
