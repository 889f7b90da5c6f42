// deno-lint-ignore-file no-console
/**
 * Where W2's floor is: the cost of one write of a 90-byte frame (a 64-byte
 * MESSAGE) to a loopback TCP socket, issued to N sockets in a row as a
 * fan-out round does, through `write(2)` from C (the kernel's share, what
 * redis-server pays), `Deno.Conn.write` (the stream adapter's write without
 * `--allow-ffi`), `send(2)` through Deno's FFI (its write with it) and
 * `node:net`'s `Socket.write`. A W2 message reaches its last member one
 * round after its first, so the round (N writes) is the p99 a server can
 * reach at best. Run: `deno run -A bench/write_cost.ts [N] [rounds]`.
 *
 * @module
 */

import * as net from "node:net";
import { SocketWrites } from "../adapters/stream/socket_writes.ts";

const N = Number(Deno.args[0] ?? 100);
const ROUNDS = Number(Deno.args[1] ?? 2000);
const FRAME = new Uint8Array(90);
const OUT = new URL("out/", import.meta.url);

/** Microseconds per write from C, built with the system gcc. */
async function cost(): Promise<number> {
  await Deno.mkdir(OUT, { recursive: true });
  const bin = new URL("write_cost", OUT).pathname;
  const src = new URL("write_cost.c", import.meta.url).pathname;
  const built = await new Deno.Command("gcc", {
    args: ["-O2", "-o", bin, src],
  }).output();
  if (!built.success) throw new Error("Cannot build bench/write_cost.c");
  const run = await new Deno.Command(bin, {
    args: [String(N), String(ROUNDS)],
  }).output();
  if (!run.success) throw new Error("bench/write_cost.c failed");
  return JSON.parse(new TextDecoder().decode(run.stdout)).us_per_write;
}

/** N loopback clients that read and discard everything. */
function readers(port: number): net.Socket[] {
  return Array.from({ length: N }, () => {
    const c = net.connect(port, "127.0.0.1");
    c.on("data", () => {});
    return c;
  });
}

/** Time the synchronous part of each round: issuing the N writes. */
async function rounds(
  write: () => Promise<unknown>,
): Promise<number> {
  let issue = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const done = write();
    issue += performance.now() - t0;
    await done;
    await new Promise((resolve) => setTimeout(resolve, 0)); // let readers read
  }
  return issue * 1000 / ROUNDS / N;
}

/** N accepted connections, each with a reading client. */
async function accepted() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const clients = readers((listener.addr as Deno.NetAddr).port);
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < N; i++) {
    const c = await listener.accept() as Deno.TcpConn;
    c.setNoDelay(true);
    conns.push(c);
  }
  return { listener, clients, conns };
}

async function denoConn(): Promise<number> {
  const { listener, clients, conns } = await accepted();
  try {
    return await rounds(() => Promise.all(conns.map((c) => c.write(FRAME))));
  } finally {
    for (const c of conns) c.close();
    for (const c of clients) c.destroy();
    listener.close();
  }
}

/** What the stream adapter does with `--allow-ffi`: `send(2)` by FFI. */
async function libcSend(): Promise<number> {
  const writes = SocketWrites.open();
  if (!writes) return NaN;
  const { listener, clients, conns } = await accepted();
  const fds = conns.map((c) => writes.find(c));
  try {
    return await rounds(() => {
      for (const fd of fds) writes.write(fd, FRAME);
      return Promise.resolve();
    });
  } finally {
    for (const fd of fds) writes.release(fd);
    for (const c of conns) c.close();
    for (const c of clients) c.destroy();
    listener.close();
  }
}

async function nodeNet(): Promise<number> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    sockets.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const clients = readers((server.address() as net.AddressInfo).port);
  while (sockets.length < N) await new Promise((r) => setTimeout(r, 10));
  try {
    return await rounds(() =>
      Promise.all(
        sockets.map((s) =>
          new Promise<void>((resolve) => s.write(FRAME, () => resolve()))
        ),
      )
    );
  } finally {
    for (const s of sockets) s.destroy();
    for (const c of clients) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (import.meta.main) {
  const rows: [string, number][] = [];
  for (let i = 0; i < 2; i++) {
    rows.push(["write(2) from C", await cost()]);
    rows.push(["Deno.Conn.write", await denoConn()]);
    rows.push(["send(2) by Deno's FFI", await libcSend()]);
    rows.push(["node:net Socket.write", await nodeNet()]);
  }
  console.log(
    `one 90-byte write to each of ${N} loopback TCP sockets, ${ROUNDS} rounds, twice:`,
  );
  for (const [what, us] of rows) {
    console.log(
      `${what.padEnd(22)} ${us.toFixed(2)} µs per write, ${
        (us * N).toFixed(0)
      } µs per round`,
    );
  }
}
