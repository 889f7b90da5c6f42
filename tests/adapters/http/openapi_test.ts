// GET /api/openapi.json against real requests to a listening server: every
// documented operation is called, every answer's status and content type
// are documented for it, and every JSON body validates against the
// documented schema. (The generator leaves out mount prefixes, so this is
// where a path that does not match reality would show.)

import assert from "node:assert/strict";
import type { HttpListener } from "../../../adapters/http/app.ts";
import { serve } from "../../../adapters/server/serve.ts";
import { addMember } from "../../../core/member.ts";
import { connectWs } from "../_ws_client.ts";

const ADMIN = "openapi-test-admin-token-0123";

type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** A small JSON Schema check: the keywords the generator emits. */
function validate(doc: Doc, schema: Schema, value: unknown, at = "$"): void {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = doc.components.schemas[name];
    assert.ok(target, `${at}: unknown $ref ${schema.$ref}`);
    return validate(doc, target, value, at);
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (options) {
      const ok = options.some((s) => {
        try {
          validate(doc, s, value, at);
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(ok, `${at}: matches none of ${key}`);
      return;
    }
  }
  if (schema.enum) {
    assert.ok((schema.enum as unknown[]).includes(value), `${at}: not in enum`);
  }
  const types = [schema.type].flat().filter(Boolean) as string[];
  if (types.length > 0) {
    const actual = value === null
      ? "null"
      : Array.isArray(value)
      ? "array"
      : Number.isInteger(value)
      ? "integer"
      : typeof value;
    const fits = types.includes(actual) ||
      (actual === "integer" && types.includes("number"));
    assert.ok(fits, `${at}: ${actual} is not ${types.join("|")}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) =>
      validate(doc, schema.items as Schema, v, `${at}[${i}]`)
    );
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) {
      assert.ok(r in obj, `${at}: missing ${r}`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) validate(doc, props[k], v, `${at}.${k}`);
      else {
        assert.notEqual(
          schema.additionalProperties,
          false,
          `${at}: extra ${k}`,
        );
      }
    }
  }
}

function findOperation(doc: Doc, method: string, path: string) {
  for (const [template, ops] of Object.entries(doc.paths)) {
    const re = new RegExp(
      "^" + template.replace(/\{[^}]+\}/g, "[^/]+") + "$",
    );
    if (re.test(path) && ops[method.toLowerCase()]) {
      return {
        key: `${method.toUpperCase()} ${template}`,
        op: ops[method.toLowerCase()]!,
      };
    }
  }
  return undefined;
}

Deno.test("http: the OpenAPI document matches real requests", async () => {
  const server = await serve({
    transports: ["http"],
    http: { port: 0, adminToken: ADMIN },
  });
  const base = (server.listeners[0] as HttpListener).url;
  try {
    const doc: Doc = await (await fetch(`${base}/api/openapi.json`)).json();
    const hit = new Set<string>();
    const check = async (
      method: string,
      path: string,
      init: { token?: string; body?: string; type?: string } = {},
    ) => {
      const found = findOperation(doc, method, path);
      assert.ok(found, `${method} ${path} is not in the document`);
      const res = await fetch(base + path, {
        method,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body !== undefined
            ? { "content-type": init.type ?? "application/json" }
            : {}),
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      hit.add(found.key);
      const documented = found.op.responses[String(res.status)];
      assert.ok(
        documented,
        `${found.key}: status ${res.status} is not documented`,
      );
      const type = res.headers.get("content-type")?.split(";")[0];
      if (res.status === 204) {
        assert.equal(await res.text(), "");
        return res;
      }
      const media = documented.content?.[type ?? ""];
      assert.ok(media, `${found.key} ${res.status}: ${type} is not documented`);
      if (type === "text/event-stream") {
        await res.body?.cancel();
        return res;
      }
      const text = await res.text();
      if (type?.endsWith("json")) {
        validate(
          doc,
          media.schema,
          JSON.parse(text),
          `${found.key} ${res.status}`,
        );
      }
      return new Response(text, { status: res.status });
    };

    await addMember(server.chat, { name: "amy" });
    const admin = JSON.stringify({ text: "hello" });
    await check("POST", "/api/announcements", { token: ADMIN, body: admin });
    await check("POST", "/api/announcements", { body: admin });
    await check("POST", "/api/announcements", { token: "x", body: admin });
    await check("POST", "/api/announcements", { token: ADMIN, body: "{" });
    await check("POST", "/api/announcements", { token: ADMIN, body: "{}" });
    await check("POST", "/api/announcements", {
      token: ADMIN,
      body: admin,
      type: "text/plain",
    });
    await check("GET", "/api/rooms");
    await check("GET", "/api/rooms/lobby/members");
    await check("GET", "/api/rooms/nobody/members");
    await check("GET", "/api/rooms/%07/members");
    const created = await check("POST", "/api/rooms/lobby/sessions", {
      body: JSON.stringify({ name: "bob" }),
    });
    const { token } = await created.json();
    await check("POST", "/api/rooms/lobby/sessions", {
      body: JSON.stringify({ name: "BOB" }),
    });
    await check("POST", "/api/rooms/lobby/sessions", {
      body: JSON.stringify({ name: "admin" }),
    });
    const say = JSON.stringify({ text: "hi" });
    await check("POST", "/api/rooms/lobby/messages", { token, body: say });
    await check("POST", "/api/rooms/lobby/messages", { body: say });
    await check("POST", "/api/rooms/lobby/messages", { token: "x", body: say });
    await check("POST", "/api/rooms/games/messages", { token, body: say });
    await check("POST", "/api/rooms/lobby/messages", {
      token,
      body: JSON.stringify({ text: "" }),
    });
    await check("GET", "/api/rooms/lobby/messages", { token });
    await check("GET", "/api/rooms/games/messages", { token });
    await check("GET", "/api/rooms/lobby/messages");
    await check("GET", "/api/rooms/lobby/events", { token });
    await check("GET", "/api/rooms/games/events", { token });
    await check("GET", "/api/rooms/lobby/events");
    await check("GET", "/api/ws");
    await check("GET", "/healthz");
    await check("GET", "/metrics");
    await check("DELETE", "/api/sessions/me", { token });
    await check("DELETE", "/api/sessions/me", { token });
    // The upgrade itself: 101 is what the document says.
    const ws = await connectWs(base);
    assert.ok(
      doc.paths["/api/ws"]?.get?.responses[String(ws.handshake.status)],
    );
    await ws.close();

    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)
    );
    assert.deepEqual([...hit].sort(), documented.sort());
  } finally {
    await server.shutdown();
  }
});
