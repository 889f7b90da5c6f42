/**
 * Datagram addresses, sans-IO: where a datagram came from or goes to, and
 * the one string that names it in the server's tables and logs.
 *
 * @module
 */

/** Where a datagram came from or goes to. */
export interface DatagramAddress {
  /** IP address. */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
}

/**
 * An address as one string: `1.2.3.4:5678` or `[::1]:5678`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(addressKey({ address: "::1", port: 7 }), "[::1]:7");
 * ```
 */
export function addressKey(a: DatagramAddress): string {
  return a.address.includes(":")
    ? `[${a.address}]:${a.port}`
    : `${a.address}:${a.port}`;
}
