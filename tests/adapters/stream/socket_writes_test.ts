import assert from "node:assert/strict";
import {
  BROKEN,
  SocketWrites,
  WOULD_BLOCK,
} from "../../../adapters/stream/socket_writes.ts";

// Real loopback sockets: the descriptor found must be the connection's, or
// bytes would go to another member.

const writes = SocketWrites.open();

async function pair(hostname = "127.0.0.1") {
  const listener = Deno.listen({ hostname, port: 0 });
  const client = await Deno.connect({ hostname, port: listener.addr.port });
  const server = await listener.accept();
  listener.close();
  return { client, server };
}

async function readSome(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) break;
    got += r;
  }
  return out.subarray(0, got);
}

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("socket writes open on Linux with --allow-ffi", () => {
  if (Deno.build.os !== "linux") return;
  assert.ok(writes, "the tests run with -A: libc must open");
});

Deno.test("a connection's descriptor writes to its own peer, not the other end", async () => {
  if (!writes) return;
  // Both ends live in this process: the server's end and the client's end
  // have the same two addresses, swapped.
  const { client, server } = await pair();
  const fdServer = writes.find(server);
  const fdClient = writes.find(client);
  assert.ok(fdServer >= 0 && fdClient >= 0);
  assert.notEqual(fdServer, fdClient);
  assert.equal(writes.write(fdServer, bytes("to client")), 9);
  assert.equal(writes.write(fdClient, bytes("to server")), 9);
  assert.deepEqual(await readSome(client, 9), bytes("to client"));
  assert.deepEqual(await readSome(server, 9), bytes("to server"));
  writes.release(fdServer);
  writes.release(fdClient);
  client.close();
  server.close();
});

Deno.test("a released descriptor's number, reused by a new connection, writes to the new one", async () => {
  if (!writes) return;
  const first = await pair();
  const fd1 = writes.find(first.server);
  writes.release(fd1);
  first.server.close();
  first.client.close();
  const second = await pair();
  const fd2 = writes.find(second.server);
  assert.ok(fd2 >= 0);
  assert.equal(writes.write(fd2, bytes("second")), 6);
  assert.deepEqual(await readSome(second.client, 6), bytes("second"));
  writes.release(fd2);
  second.server.close();
  second.client.close();
});

Deno.test("many connections each find their own descriptor", async () => {
  if (!writes) return;
  const pairs = await Promise.all(
    Array.from({ length: 40 }, () => pair()),
  );
  const fds = pairs.map((p) => writes.find(p.server));
  assert.equal(new Set(fds).size, 40);
  assert.ok(fds.every((fd) => fd >= 0));
  fds.forEach((fd, i) => writes.write(fd, bytes(`m${i % 10}`)));
  for (const [i, p] of pairs.entries()) {
    assert.deepEqual(await readSome(p.client, 2), bytes(`m${i % 10}`));
  }
  for (const [i, p] of pairs.entries()) {
    writes.release(fds[i]!);
    p.server.close();
    p.client.close();
  }
});

Deno.test("IPv6 loopback connections are found too", async () => {
  if (!writes) return;
  let p;
  try {
    p = await pair("::1");
  } catch {
    return; // no IPv6 on this host
  }
  const fd = writes.find(p.server);
  assert.ok(fd >= 0);
  assert.equal(writes.write(fd, bytes("v6")), 2);
  assert.deepEqual(await readSome(p.client, 2), bytes("v6"));
  writes.release(fd);
  p.server.close();
  p.client.close();
});

Deno.test("a full socket buffer would block; a peer gone is broken", async () => {
  if (!writes) return;
  const { client, server } = await pair();
  const fd = writes.find(server);
  const chunk = new Uint8Array(64 * 1024);
  let result = 0;
  // The client reads nothing: the buffers fill within a few MB.
  for (let i = 0; i < 1024 && result !== WOULD_BLOCK; i++) {
    result = writes.write(fd, chunk);
  }
  assert.equal(result, WOULD_BLOCK);
  client.close(); // unread data: the kernel resets the connection
  let broken = 0;
  for (let i = 0; i < 50 && broken !== BROKEN; i++) {
    await new Promise((r) => setTimeout(r, 10));
    broken = writes.write(fd, bytes("x"));
  }
  assert.equal(broken, BROKEN);
  writes.release(fd);
  server.close();
});

Deno.test("without --allow-ffi the adapter writes through Deno", async () => {
  const module = new URL(
    "../../../adapters/stream/socket_writes.ts",
    import.meta.url,
  );
  const dir = await Deno.makeTempDir();
  const main = `${dir}/main.ts`;
  await Deno.writeTextFile(
    main,
    `import { SocketWrites } from ${JSON.stringify(module.href)};\n` +
      `console.log(SocketWrites.open() === undefined);\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", main],
    stdin: "null",
  }).output();
  await Deno.remove(dir, { recursive: true });
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "true");
});

Deno.test("a connection is found in a process holding thousands of descriptors", async () => {
  if (!writes) return;
  // 3,000 open files take the low numbers: the socket's number is above
  // where a search from the lowest gives up (1,024 looked at).
  const files = Array.from(
    { length: 3000 },
    () => Deno.openSync("/dev/null"),
  );
  const p = await pair();
  try {
    const fd = writes.find(p.server as Deno.TcpConn);
    assert.ok(fd > 3000, `found: ${fd}`);
    assert.equal(writes.write(fd, bytes("far")), 3);
    assert.deepEqual(await readSome(p.client, 3), bytes("far"));
    writes.release(fd);
  } finally {
    for (const f of files) f.close();
    p.server.close();
    p.client.close();
  }
});
