// The transport suite (Hono's common.case.test.ts pattern): every transport
// runs the same cases against a real server it starts, one per case,
// through a raw client of its own. The wire cases live in the conformance
// kit (adapters/conformance/), which tests/adapters/conformance/kit_test.ts
// runs with the kit's own clients over TCP, Unix and UDP; here they run
// again with the clients that differ from the kit's (UDP: the project's
// client, core/datagram/client.ts; WebSocket: JSON), beside the cases that
// need a hand on the server (_cases_server.ts) and the history and resume
// cases (_cases_resume.ts). A transport file is a few
// lines:
//
//   runAdapterSuite({
//     name: "tcp",
//     start: (o) => startServer({ transports: ["tcp"], port: 0, ...o }),
//     connectClient: (s) => connectStream(s.listeners[0]!.url),
//   });

import { serve, type ServeOptions } from "../../adapters/server/serve.ts";
import {
  BAD_INPUT_CASES,
  CHAT_CASES,
  FRAMING_CASES,
} from "../../adapters/conformance/mod.ts";
import { RESUME_CASES } from "./_cases_resume.ts";
import { SERVER_CASES } from "./_cases_server.ts";
import {
  type AdapterSuiteOptions,
  type Case,
  SuiteHarness,
  type SuiteServer,
} from "./_harness.ts";

export type {
  AdapterSuiteOptions,
  Case,
  StartOptions,
  SuiteServer,
} from "./_harness.ts";
export type { TestClient } from "./_client.ts";
export { connectStream } from "./_client.ts";

/** Longest a case may run before it fails, in ms (a hung transport fails). */
export const CASE_DEADLINE_MS = 30_000;
/** Longest closing a case's clients and server may take, in ms. */
const END_DEADLINE_MS = 10_000;

/** The kit's cases this suite runs with each transport's own client. */
const KIT_CASES: readonly Case[] = [
  ...CHAT_CASES,
  ...FRAMING_CASES,
  ...BAD_INPUT_CASES,
];

/**
 * Register one `Deno.test` per case for a transport.
 *
 * @param options The transport: how to start a server and connect a client,
 *   and which cases do not apply.
 */
export function runAdapterSuite(options: AdapterSuiteOptions): void {
  const cases = [
    ...(options.kitCases ?? true ? KIT_CASES : []),
    ...SERVER_CASES,
    ...RESUME_CASES,
  ];
  const skip = new Set(options.skip ?? []);
  for (const name of skip) {
    if (!cases.some((c) => c.name === name)) {
      throw new Error(`Cannot skip case "${name}": no such case`);
    }
  }
  for (const c of cases) {
    const wire = options.wire;
    const otherWire = wire !== undefined && !(c.on ?? [wire]).includes(wire);
    Deno.test({
      name: `${options.name}: ${c.name}`,
      ignore: skip.has(c.name) || otherWire,
      async fn() {
        const server = await deadline(
          options.start(c.start ?? {}),
          END_DEADLINE_MS,
          "starting the server",
        );
        const h = new SuiteHarness({
          url: server.listeners[0]!.url,
          transport: options.name,
          connect: () => options.connectClient(server),
          messages: /^Cannot /,
        }, server);
        try {
          await deadline(c.fn(h), CASE_DEADLINE_MS, "the case");
        } finally {
          await deadline(
            h.end(),
            END_DEADLINE_MS,
            "closing clients and server",
          );
        }
      },
    });
  }
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
async function deadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not finish within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Start an in-process server for one case (logs dropped) and remove `dir`,
 * if given, when it is closed.
 *
 * @param options What to serve.
 * @param dir A temp dir to remove afterwards.
 */
export async function startServer(
  options: ServeOptions,
  dir?: string,
): Promise<SuiteServer> {
  let server;
  try {
    server = await serve(options);
  } catch (e) {
    if (dir) await Deno.remove(dir, { recursive: true });
    throw e;
  }
  return {
    server,
    listeners: server.listeners,
    announce: (text) => server.chat.announce(text),
    shutdown: () => server.shutdown(),
    async close() {
      await server.shutdown();
      if (dir) await Deno.remove(dir, { recursive: true });
    },
  };
}
