/**
 * Garbage over a WebSocket for bench/garbage.ts: text messages that are not
 * the protocol's JSON, or binary messages, before any session, until the
 * server cuts the socket (its fatal error, or the code of its close frame).
 *
 * @module
 */

import type { Prng } from "./prng.ts";

/**
 * WebSocket messages that are not commands, before any session.
 *
 * @param url `ws://HOST:PORT/...`.
 * @param rng The generator.
 * @param binary Binary messages; else text.
 * @param cutWithinMs How long the socket may stay open.
 * @returns The fatal code, `reset`, `closed` or `open`.
 */
export function wsGarbage(
  url: string,
  rng: Prng,
  binary: boolean,
  cutWithinMs: number,
): Promise<string> {
  return new Promise((resolve) => {
    let result: string | undefined;
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      result ??= "open";
      ws.close();
    }, cutWithinMs);
    let sender: ReturnType<typeof setInterval> | undefined;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      sender = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        for (let i = 0; i < 20; i++) {
          if (binary) ws.send(rng.bytes(rng.int(50) + 1));
          else {ws.send(
              rng.chance(0.5) ? `{"type":"${rng.u32()}"}` : `x${rng.u32()}`,
            );}
        }
      }, 5);
    };
    ws.onmessage = (e) => {
      try {
        const m = JSON.parse(String(e.data));
        if (m.type === "error" && m.fatal) result ??= m.code;
      } catch {
        // not JSON
      }
    };
    ws.onerror = () => {};
    ws.onclose = (e) => {
      clearTimeout(timer);
      clearInterval(sender);
      // The close frame names the code too (1008, "TOO_MANY_ERRORS"); an
      // open socket that ends without a close frame was reset.
      resolve(
        result ??
          (e.code === 1008 && e.reason
            ? e.reason
            : opened
            ? "reset"
            : "closed"),
      );
    };
  });
}
