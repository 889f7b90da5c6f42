// The adapter conformance suite (Hono's common.case.test.ts pattern): every
// transport runs the same cases against a real server it starts, through a
// raw client of its own. A transport file is a few lines:
//
//   runAdapterSuite({
//     name: "tcp",
//     start: (o) => startServer({ transports: ["tcp"], port: 0, ...o }),
//     connectClient: (s) => connectStream(s.listeners[0]!.url),
//   });

import { serve, type ServeOptions } from "../../adapters/server/serve.ts";
import { CHAT_CASES } from "./_cases_chat.ts";
import { BAD_INPUT_CASES } from "./_cases_bad_input.ts";
import { LIMIT_CASES } from "./_cases_limits.ts";
import {
  type AdapterSuiteOptions,
  type Case,
  Harness,
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

/** Every case, in the order they run. */
export const CASES: readonly Case[] = [
  ...CHAT_CASES,
  ...BAD_INPUT_CASES,
  ...LIMIT_CASES,
];

/**
 * Register one `Deno.test` per case for a transport.
 *
 * @param options The transport: how to start a server and connect a client,
 *   and which cases do not apply.
 */
export function runAdapterSuite(options: AdapterSuiteOptions): void {
  const skip = new Set(options.skip ?? []);
  for (const name of skip) {
    if (!CASES.some((c) => c.name === name)) {
      throw new Error(`Cannot skip case "${name}": no such case`);
    }
  }
  for (const c of CASES) {
    Deno.test({
      name: `${options.name}: ${c.name}`,
      ignore: skip.has(c.name),
      async fn() {
        const server = await deadline(
          options.start(c.start ?? {}),
          END_DEADLINE_MS,
          "starting the server",
        );
        const h = new Harness(options, server);
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
    listeners: server.listeners,
    announce: (text) => server.chat.announce(text),
    shutdown: () => server.shutdown(),
    async close() {
      await server.shutdown();
      if (dir) await Deno.remove(dir, { recursive: true });
    },
  };
}
