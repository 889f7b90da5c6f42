// The limits of the datagram transport (core/datagram/limits.ts): defaults,
// checks, and text mode over UDP on by default on loopback only.

import assert from "node:assert/strict";
import {
  defaultTextIdleTimeoutMs,
  resolveDatagramLimits,
} from "../../../core/datagram/limits.ts";
import { isLoopbackHost } from "../../../core/loopback.ts";

Deno.test("datagram: text mode over UDP is on by default on loopback only", () => {
  const loopback = [
    "127.0.0.1",
    "127.1.2.3",
    "localhost",
    "LOCALHOST",
    "chat.localhost",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ];
  const others = [
    "0.0.0.0",
    "::",
    "[::]",
    "192.168.1.2",
    "10.0.0.1",
    "128.0.0.1",
    "127.0.0.256",
    "::2",
    "1::1",
    "::ffff:10.0.0.1",
    "example.com",
    "localhost.example.com",
    "",
  ];
  for (const host of loopback) {
    assert.ok(isLoopbackHost(host), host);
    assert.equal(defaultTextIdleTimeoutMs(host), 600_000, host);
  }
  for (const host of others) {
    assert.ok(!isLoopbackHost(host), host);
    assert.equal(defaultTextIdleTimeoutMs(host), 0, host);
  }
});

Deno.test("datagram: limits have defaults and refuse values that cannot work", () => {
  const d = resolveDatagramLimits();
  assert.deepEqual(
    [d.datagramSize, d.idleTimeoutMs, d.textIdleTimeoutMs],
    [1200, 30_000, 600_000],
  );
  assert.equal(resolveDatagramLimits({ datagramSize: 512 }).datagramSize, 512);
  for (
    const bad of [
      { datagramSize: 511 },
      { datagramSize: 65508 },
      { idleTimeoutMs: 999 },
      { handshakes: 0 },
      { datagramsPerSecond: -1 },
      { datagramsPerSecond: 1.5 },
    ]
  ) {
    assert.throws(() => resolveDatagramLimits(bad), RangeError);
  }
  assert.throws(
    () => resolveDatagramLimits({ nope: 1 } as never),
    /no such limit/,
  );
});
