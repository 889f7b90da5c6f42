/**
 * The HTTP app on its own, for `deno serve adapters/http/app.ts`: a chat of
 * its own, its admin token, a clock, and shutdown on SIGINT and SIGTERM.
 * With `--unstable-kv` (serverless mode, `deno serve --parallel`), the
 * isolates share one chat through the isolates backplane
 * (adapters/isolates/), and HTTP sessions work whichever isolate a request
 * lands on. This is server wiring (what adapters/server does for `cli.ts
 * serve`), kept beside the app because `deno serve` needs the app's file
 * as its entry.
 *
 * @module
 */

import type { Backplane } from "../../core/backplane.ts";
import { Chat, type LogRecord } from "../../core/chat.ts";
import type { Limits } from "../../core/limits.ts";
import { IsolateBackplane } from "../isolates/mod.ts";
import { settled as flushRoundsSettled } from "../flush_rounds.ts";
import { formatLog } from "../log.ts";
import { forwarderOf } from "./forward.ts";
import { relaysSettled } from "./ws.ts";
import { loadAdminToken } from "./admin_token.ts";
import { HttpHub } from "./hub.ts";
import type { FetchApp } from "./listen.ts";

let standalone: Promise<FetchApp> | undefined;

/** Answers not yet written whole (`ServeHandlerInfo.completed`). */
const answering = new Set<Promise<void>>();

/**
 * Count a request's answer as being written until Deno says it is: at
 * shutdown the process waits (bounded) for those, so that the goodbyes in
 * event streams reach their sockets before it exits.
 *
 * @param info The request's serve info.
 */
export function trackAnswer(info: Deno.ServeHandlerInfo): void {
  const done = info.completed;
  if (done === undefined) return;
  const settled = done.then(() => {}, () => {}).finally(() =>
    answering.delete(settled)
  );
  answering.add(settled);
}

/**
 * Settles once every answer tracked by {@link trackAnswer} is written, or
 * after `ms`.
 */
function answersWritten(ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.all([...answering]).then(() => {}),
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The limits `deno serve` has no flags for, from the environment:
 * `CHAT_RATE` (messages per second per member, 0: no limit) and
 * `CHAT_MAX_CONNECTIONS`; the other limits are the defaults.
 */
function limitsFromEnv(): Partial<Limits> {
  const number = (name: string, min: number) => {
    const raw = Deno.env.get(name);
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`Cannot use ${name}=${raw}: a whole number >= ${min}`);
    }
    return n;
  };
  const rate = number("CHAT_RATE", 0);
  const connections = number("CHAT_MAX_CONNECTIONS", 1);
  return {
    ...(rate !== undefined ? { messagesPerSecond: rate } : {}),
    ...(connections !== undefined ? { maxConnections: connections } : {}),
  };
}

/**
 * The app of `deno serve adapters/http/app.ts`: a chat served over HTTP
 * only, made on first use. The admin token comes from `CHAT_ADMIN_TOKEN`
 * or the file named by `CHAT_ADMIN_TOKEN_FILE`, or is generated. With
 * `--unstable-kv` the chat is shared by every isolate of the process
 * (unless `CHAT_ISOLATES=0`). SIGINT and SIGTERM shut the chat down
 * (members are told); with several isolates the process exits once every
 * isolate has told its own.
 *
 * @param makeApp Builds the app over the hub.
 * @returns The app.
 */
export function standaloneWith(
  makeApp: (hub: HttpHub) => FetchApp,
): Promise<FetchApp> {
  if (standalone !== undefined) return standalone;
  // Registered at once: `deno serve` closes WebSockets on SIGTERM itself,
  // and the listener registered first runs first, so the members are told
  // before that.
  let stop: (() => Promise<void>) | undefined;
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    stop?.();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return standalone = (async () => {
    const encoder = new TextEncoder();
    const quiet = Deno.env.get("CHAT_QUIET") === "1";
    const log = (record: LogRecord) => {
      if (quiet && record.event !== "error") return;
      Deno.stderr.writeSync(encoder.encode(formatLog(record) + "\n"));
    };
    const admin = await loadAdminToken({
      token: Deno.env.get("CHAT_ADMIN_TOKEN"),
      file: Deno.env.get("CHAT_ADMIN_TOKEN_FILE"),
    });
    log({ event: "admin_token", source: admin.source, file: admin.path });
    const isolates = typeof Deno.openKv === "function" &&
        Deno.env.get("CHAT_ISOLATES") !== "0"
      ? await IsolateBackplane.connect({ log, holdStore: true })
      : undefined;
    const backplane: Backplane | undefined = isolates;
    const chat = new Chat({
      now: () => performance.now(),
      wallClock: () => Date.now(),
      log,
      limits: limitsFromEnv(),
      ...(backplane ? { backplane } : {}),
    });
    const hub = new HttpHub(chat, {
      adminToken: admin.token,
      log,
      isolates: isolates?.link,
    });
    hub.start();
    const clock = setInterval(() => chat.tick(), 1000);
    stop = async () => {
      stop = undefined;
      clearInterval(clock);
      await chat.shutdown();
      await flushRoundsSettled();
      hub.close();
      // Goodbyes to members whose streams or sockets cross isolates travel
      // through their relays: wait for those to end (bounded), then let the
      // last bytes reach the sockets.
      await Promise.all([
        forwarderOf(hub)?.settled(2000),
        relaysSettled(hub, 2000),
      ]);
      // Then the last bytes reach the sockets: Deno says when each answer
      // is written (at least 250 ms, at most 2 s more).
      await Promise.all([
        new Promise((resolve) => setTimeout(resolve, 250)),
        answersWritten(2000),
      ]);
      // Every isolate got the signal, and the first to exit ends them all:
      // exit once all have told their members.
      await isolates?.releaseStore(5000);
      Deno.exit(0);
    };
    if (signalled) stop();
    return makeApp(hub);
  })();
}
