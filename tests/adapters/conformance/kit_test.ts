// The conformance kit (adapters/conformance/) against roomcast, as it would
// run against any other server: one server per transport (TCP, Unix socket,
// UDP) started here, every case of the kit run against it with the kit's
// own clients, one test step per case. Our own server is held to our style
// too: every error message starts with "Cannot ".

import {
  CASE_GROUPS,
  runCase,
  transportOf,
  wireOf,
} from "../../../adapters/conformance/mod.ts";
import { appliesTo } from "../../../adapters/conformance/mod.ts";
import { serve } from "../../../adapters/server/serve.ts";

for (const transport of ["tcp", "unix", "udp"] as const) {
  Deno.test(`conformance kit against roomcast over ${transport}`, async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "roomcast-kit-" });
    const server = await serve({
      transports: [transport],
      port: 0,
      socketPath: `${dir}/chat.sock`,
    });
    try {
      const url = server.listeners[0]!.url;
      let n = 0;
      for (const group of CASE_GROUPS) {
        for (const c of group.cases) {
          n++;
          await t.step({
            name: `${group.name}: ${c.name}`,
            ignore: !appliesTo(c, transportOf(url)),
            async fn() {
              const r = await runCase(c, group.name, {
                server: url,
                rooms: `t${n}`,
                messages: /^Cannot /,
              });
              if (r.status === "fail") throw new Error(r.error);
            },
          });
        }
      }
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("conformance kit: every case applies to TCP or UDP, and has a unique name", () => {
  const names = new Set<string>();
  for (const group of CASE_GROUPS) {
    for (const c of group.cases) {
      const key = `${group.name}: ${c.name}`;
      if (names.has(key)) throw new Error(`two cases named "${key}"`);
      names.add(key);
      if (!appliesTo(c, "tcp") && !appliesTo(c, "udp")) {
        throw new Error(`"${key}" applies to no transport`);
      }
    }
  }
  if (wireOf("unix") !== "stream") throw new Error("unix is a stream");
});
