// `cli.ts serve --workers 2`, a real process: a name raced for over TCP
// across the Workers, the console and the admin token, and SIGTERM telling
// every member on every Worker.

import assert from "node:assert/strict";
import type { TestClient } from "../_conformance.ts";
import { ADMIN, join, start, until } from "./_workers.ts";

Deno.test("serve --workers 2: a name raced for from two TCP clients 100 times has one winner each round", async () => {
  const { proc, urls, dir } = await start("tcp");
  const clients: TestClient[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      const both = await Promise.all(
        [0, 1].map(() => join(urls.tcp!, `n${i}`)),
      );
      clients.push(...both.map((b) => b.client));
      const kinds = both.map((b) =>
        b.answer.type === "error" ? b.answer.code : b.answer.type
      ).sort();
      assert.deepEqual(kinds, ["NAME_TAKEN", "welcome"], `round ${i}`);
    }
    // Both Workers took joins: the races crossed them.
    assert.match(proc.stderr, /join session=\d+ room=lobby name=n\d+ worker=0/);
    assert.match(proc.stderr, /join session=\d+ room=lobby name=n\d+ worker=1/);
  } finally {
    for (const c of clients) await c.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --workers 2: the console and the admin token announce to every Worker's members, counted", async () => {
  const { proc, urls, dir } = await start();
  const clients: TestClient[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const { client, answer } = await join(urls.tcp!, `m${i}`);
      assert.equal(answer.type, "welcome");
      clients.push(client);
    }
    const { client: u, answer } = await join(urls.unix!, "unix", "kitchen");
    assert.equal(answer.type, "welcome");
    clients.push(u);
    await proc.write("restart at 10\n");
    await proc.expect(/announced to 2 room\(s\), 7 member\(s\)/, "stderr");
    const res = await fetch(`${urls.http}/api/announcements`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ text: "over http" }),
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { rooms: 2, delivered: 7 });
    for (const c of clients) {
      for (const text of ["restart at 10", "over http"]) {
        await until(c, (e) => e.type === "announcement" && e.text === text);
      }
    }
    // An HTTP session works whichever Worker a request reaches.
    const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    try {
      const joined = await fetch(`${urls.http}/api/rooms/lobby/sessions`, {
        client,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "poster" }),
      });
      const { token } = await joined.json();
      for (let i = 0; i < 8; i++) {
        const said = await fetch(`${urls.http}/api/rooms/lobby/messages`, {
          client,
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ text: `post ${i}` }),
        });
        assert.equal(said.status, 202, await said.text());
      }
      for (const c of clients.slice(0, 6)) {
        await until(c, (e) => e.type === "message" && e.text === "post 7");
      }
    } finally {
      client.close();
    }
  } finally {
    for (const c of clients) await c.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --workers 2: SIGTERM tells every member on every Worker, exits 0 and removes the socket", async () => {
  const { proc, urls, dir } = await start();
  const members: [TestClient, string][] = [];
  try {
    // The kernel spreads connections by a hash: six can all land on one
    // Worker (about 3% of runs), so join until both have members.
    for (let i = 0; i < 40; i++) {
      const { client } = await join(urls.tcp!, `m${i}`);
      members.push([client, `m${i}`]);
      if (i >= 5 && /join .*worker=1/.test(proc.stderr)) break;
    }
    const { client: u } = await join(urls.unix!, "unix");
    members.push([u, "unix"]);
    assert.match(proc.stderr, /join .*worker=0/);
    assert.match(proc.stderr, /join .*worker=1/);
    proc.kill("SIGTERM");
    for (const [c, name] of members) {
      await until(
        c,
        (e) => e.type === "left" && e.name === name && e.reason === "shutdown",
      );
      await c.ended();
    }
    assert.equal((await proc.exit(15_000)).code, 0);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(left, [], "socket and store removed");
  } finally {
    for (const [c] of members) await c.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
