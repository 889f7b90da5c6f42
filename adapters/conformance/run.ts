/**
 * Run the conformance cases against a server by URL: each case gets a
 * fresh {@link Harness} (its own room names, its clients closed at its
 * end) and a deadline, and yields a {@link CaseResult}. Nothing is started
 * but the kit's own clients and, for the loss cases, a relay on 127.0.0.1.
 *
 * @module
 */

import { appliesTo, type ConformanceCase, type Spec } from "./case.ts";
import { CASE_GROUPS } from "./cases.ts";
import type { ConformanceClient } from "./client.ts";
import { Harness } from "./harness.ts";
import { connectStream } from "./stream_client.ts";
import { UdpClient } from "./udp_client.ts";

/** Longest a case may take, in ms, before it fails. */
export const CASE_DEADLINE_MS = 60_000;

/** Options of {@link runConformance} and {@link runCase}. */
export interface ConformanceOptions {
  /** The server: `tcp://HOST:PORT`, `unix:///PATH` or `udp://HOST:PORT`. */
  readonly server: string;
  /** Run only cases whose group or name contains one of these. */
  readonly only?: readonly string[];
  /** When given, every ERROR's message must match it. */
  readonly messages?: RegExp;
  /** Told each result as it comes. */
  readonly onResult?: (result: CaseResult) => void;
}

/** The outcome of one case. */
export interface CaseResult {
  /** Its group. */
  readonly group: string;
  /** Its name. */
  readonly name: string;
  /** `skip`: it does not apply to this transport, or was not asked for. */
  readonly status: "pass" | "fail" | "skip";
  /** How long it took, in ms. */
  readonly ms: number;
  /** What went wrong, for a failure. */
  readonly error?: string;
  /** The statements of docs/protocol.md it checks. */
  readonly spec: readonly Spec[];
}

/**
 * The transport of a server URL.
 *
 * @throws {TypeError} When the scheme is not tcp:, unix: or udp:.
 */
export function transportOf(url: string): "tcp" | "unix" | "udp" {
  const scheme = new URL(url).protocol.slice(0, -1);
  if (scheme === "tcp" || scheme === "unix" || scheme === "udp") return scheme;
  throw new TypeError(
    `Cannot test server "${url}": use tcp://HOST:PORT, unix:///PATH or udp://HOST:PORT`,
  );
}

/**
 * Run every case (or those asked for) against a server, one after another.
 *
 * @param options The server and the cases.
 * @returns One result per case, in order.
 */
export async function runConformance(
  options: ConformanceOptions,
): Promise<CaseResult[]> {
  const transport = transportOf(options.server);
  const run = Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0");
  const results: CaseResult[] = [];
  let n = 0;
  for (const group of CASE_GROUPS) {
    for (const c of group.cases) {
      const asked = options.only === undefined ||
        options.only.some((o) => group.name === o || c.name.includes(o));
      const result = asked && appliesTo(c, transport)
        ? await runCase(c, group.name, { ...options, rooms: `${run}${++n}` })
        : skipped(c, group.name);
      results.push(result);
      options.onResult?.(result);
    }
  }
  return results;
}

/**
 * Run one case against a server.
 *
 * @param c The case.
 * @param group Its group's name.
 * @param options The server, and the suffix of the case's room names.
 * @returns Its result (a failure is a result, not an exception).
 */
export async function runCase(
  c: ConformanceCase,
  group: string,
  options: ConformanceOptions & { readonly rooms?: string },
): Promise<CaseResult> {
  const transport = transportOf(options.server);
  const h = new Harness({
    url: options.server,
    transport,
    connect: (url) => connectTo(url),
    rooms: options.rooms ?? "",
    ...(options.messages ? { messages: options.messages } : {}),
  });
  const started = performance.now();
  let error: string | undefined;
  try {
    await deadline(c.fn(h), CASE_DEADLINE_MS);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  try {
    await deadline(h.end(), 10_000);
  } catch (e) {
    error ??= `closing: ${e instanceof Error ? e.message : String(e)}`;
  }
  return {
    group,
    name: c.name,
    status: error === undefined ? "pass" : "fail",
    ms: Math.round(performance.now() - started),
    ...(error === undefined ? {} : { error }),
    spec: c.spec ?? [],
  };
}

/** A client of the server at `url`, by its scheme. */
function connectTo(url: string): Promise<ConformanceClient> {
  return transportOf(url) === "udp"
    ? UdpClient.connect(url)
    : connectStream(url);
}

function skipped(c: ConformanceCase, group: string): CaseResult {
  return { group, name: c.name, status: "skip", ms: 0, spec: c.spec ?? [] };
}

/** `promise`, or a rejection once `ms` have passed. */
async function deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`did not finish within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
