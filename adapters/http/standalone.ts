/**
 * The HTTP app on its own, for `deno serve adapters/http/app.ts`: a chat of
 * its own, its admin token, a clock, and shutdown on SIGINT and SIGTERM.
 * This is server wiring (what adapters/server does for `cli.ts serve`), kept
 * beside the app because `deno serve` needs the app's file as its entry.
 *
 * @module
 */

import { Chat, type LogRecord } from "../../core/chat.ts";
import { formatLog } from "../log.ts";
import { loadAdminToken } from "./admin_token.ts";
import { HttpHub } from "./hub.ts";
import type { FetchApp } from "./listen.ts";

let standalone: Promise<FetchApp> | undefined;

/**
 * The app of `deno serve adapters/http/app.ts`: a chat of its own, served over
 * HTTP only, made on first use. The admin token comes from
 * `CHAT_ADMIN_TOKEN` or the file named by `CHAT_ADMIN_TOKEN_FILE`, or is
 * generated. SIGINT and SIGTERM shut the chat down (members are told).
 *
 * @param makeApp Builds the app over the hub.
 * @returns The app.
 */
export function standaloneWith(
  makeApp: (hub: HttpHub) => FetchApp,
): Promise<FetchApp> {
  return standalone ??= (async () => {
    const encoder = new TextEncoder();
    const log = (record: LogRecord) =>
      Deno.stderr.writeSync(encoder.encode(formatLog(record) + "\n"));
    const chat = new Chat({
      now: () => performance.now(),
      wallClock: () => Date.now(),
      log,
    });
    const admin = await loadAdminToken({
      token: Deno.env.get("CHAT_ADMIN_TOKEN"),
      file: Deno.env.get("CHAT_ADMIN_TOKEN_FILE"),
    });
    log({ event: "admin_token", source: admin.source, file: admin.path });
    const hub = new HttpHub(chat, { adminToken: admin.token, log });
    hub.start();
    const clock = setInterval(() => chat.tick(), 1000);
    const stop = async () => {
      clearInterval(clock);
      await chat.shutdown();
      hub.close();
      // Let the goodbyes reach the sockets.
      await new Promise((resolve) => setTimeout(resolve, 250));
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    return makeApp(hub);
  })();
}
