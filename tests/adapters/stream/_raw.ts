// Raw clients of the stream adapter's tests: frames written and read on
// plain Deno connections, with bounded waits.

import {
  encodeFrame,
  FrameDecoder,
  PROTOCOL_VERSION,
} from "../../../core/codec/mod.ts";

/** Read until the end of stream or `ms`; the number of bytes read. */
export async function readAll(conn: Deno.Conn, ms: number): Promise<number> {
  const buf = new Uint8Array(4096);
  let total = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    total += n;
  }
  return total;
}

/** Wait until `check()` holds, polling, for at most `ms`. */
export async function until(
  check: () => boolean,
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** A raw binary client: HELLO and JOIN written at once. */
export async function member(
  port: number,
  name: string,
): Promise<Deno.TcpConn> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await write(c, [
    encodeFrame({ type: "hello", version: PROTOCOL_VERSION, software: "t/1" }),
    encodeFrame({ type: "join", room: "lobby", name }),
  ]);
  return c;
}

/** Write frames, whole. */
export async function write(c: Deno.Conn, frames: Uint8Array[]): Promise<void> {
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  for (let done = 0; done < all.length;) {
    done += await c.write(all.subarray(done));
  }
}

/** Read frames until `want` says stop, within `ms`. */
export async function readUntil(
  c: Deno.Conn,
  want: (e: { type: string; [k: string]: unknown }) => boolean,
  ms = 5000,
): Promise<{ type: string; [k: string]: unknown }[]> {
  const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
  const seen: { type: string; [k: string]: unknown }[] = [];
  const buf = new Uint8Array(64 * 1024);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      c.read(buf),
      new Promise<"late">((r) =>
        timer = setTimeout(() => r("late"), deadline - Date.now())
      ),
    ]);
    clearTimeout(timer);
    if (n === "late") {
      c.close(); // ends the pending read: the test fails, bounded
      break;
    }
    if (n === null) break;
    for (const f of decoder.push(buf.subarray(0, n))) {
      if (f instanceof Error) throw f;
      const e = f as unknown as { type: string; [k: string]: unknown };
      seen.push(e);
      if (want(e)) return seen;
    }
  }
  throw new Error(`Cannot find the event: saw ${seen.length}`);
}
