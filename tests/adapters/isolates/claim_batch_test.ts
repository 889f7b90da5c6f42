// Group commits of claims on free names (adapters/isolates/claim_batch.ts),
// on a real Deno KV file.

import assert from "node:assert/strict";
import { ClaimBatch } from "../../../adapters/isolates/claim_batch.ts";
import { KvClaims } from "../../../adapters/isolates/claims.ts";
import { StoreKeys } from "../../../adapters/isolates/keys.ts";
import { Group, listen } from "./_isolates.ts";

async function withStore(
  test: (kv: Deno.Kv, keys: StoreKeys) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "roomcast-batch-" });
  const kv = await Deno.openKv(`${dir}/kv.sqlite`);
  try {
    await test(kv, new StoreKeys(["roomcast"]));
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("claim batch: the claims that come while a commit is written share the next one", async () => {
  await withStore(async (kv, keys) => {
    const batch = new ClaimBatch(kv, keys, "iso-a");
    const names = Array.from({ length: 150 }, (_, i) => `m${i}`);
    const won = await Promise.all(
      names.map((name, i) =>
        batch.absent({ room: i < 75 ? "lobby" : "kitchen", key: name, name })
      ),
    );
    assert.ok(won.every((w) => w));
    // The first alone, the other 149 in commits of at most 100.
    assert.equal(batch.commits, 3);
    for (const name of names) {
      const room = Number(name.slice(1)) < 75 ? "lobby" : "kitchen";
      const e = await kv.get(keys.claim(room, name));
      assert.deepEqual(e.value, { name, isolate: "iso-a" });
      assert.equal((await kv.get(keys.held("iso-a", room, name))).value, name);
    }
    assert.equal(
      (await kv.get<Deno.KvU64>(keys.count("lobby"))).value?.value,
      75n,
    );
    assert.equal(
      (await kv.get<Deno.KvU64>(keys.count("kitchen"))).value?.value,
      75n,
    );
  });
});

Deno.test("claim batch: one taken name fails its whole commit, and writes nothing", async () => {
  await withStore(async (kv, keys) => {
    await kv.set(keys.claim("lobby", "bob"), { name: "Bob", isolate: "iso-b" });
    const batch = new ClaimBatch(kv, keys, "iso-a");
    const first = batch.absent({ room: "lobby", key: "amy", name: "amy" });
    const rest = ["bob", "cat", "dan"].map((key) =>
      batch.absent({ room: "lobby", key, name: key })
    );
    assert.equal(await first, true);
    assert.deepEqual(await Promise.all(rest), [false, false, false]);
    assert.equal((await kv.get(keys.claim("lobby", "cat"))).value, null);
    assert.deepEqual((await kv.get(keys.claim("lobby", "bob"))).value, {
      name: "Bob",
      isolate: "iso-b",
    });
    assert.equal(
      (await kv.get<Deno.KvU64>(keys.count("lobby"))).value?.value,
      1n,
    );
  });
});

Deno.test("isolates: a join among many at once whose name is held on the other isolate is the only one refused", async () => {
  const g = await Group.make();
  try {
    const a = await g.chat(), b = await g.chat();
    await listen(b, "m7");
    const names = Array.from({ length: 30 }, (_, i) => `M${i}`);
    const results = await Promise.allSettled(names.map((n) => listen(a, n)));
    const refused = names.filter((_, i) => results[i]!.status === "rejected");
    assert.deepEqual(refused, ["M7"]);
    assert.equal((await b.members("lobby")).length, 30);
  } finally {
    await g.close();
  }
});

Deno.test("claim batch: claims whose one commit would break the store's size limit each go their own way, and all win", async () => {
  await withStore(async (kv, keys) => {
    const claims = new KvClaims({
      kv,
      keys,
      id: "iso-a",
      alive: () => Promise.resolve(true),
      gone: () => false,
      failed: (what, e) => {
        throw new Error(`${what}: ${e}`);
      },
    });
    // 101 names of 1,900 bytes: the 100 that share a commit would pass its
    // 800 KB limit on the size of what it writes.
    const names = Array.from(
      { length: 101 },
      (_, i) => `${i}`.padEnd(1900, "x"),
    );
    const won = await Promise.all(
      names.map((key) => claims.claim("lobby", key, key.slice(0, 8))),
    );
    assert.ok(won.every((w) => w));
    assert.equal(
      (await kv.get<Deno.KvU64>(keys.count("lobby"))).value?.value,
      101n,
    );
    assert.equal((await claims.members("lobby")).length, 101);
  });
});
