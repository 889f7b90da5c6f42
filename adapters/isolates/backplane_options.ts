/**
 * What an isolates backplane is opened with, and opening its store: the
 * Deno KV file of the process (adapters/isolates/store_dir.ts) unless a
 * path or an open store is given, and the name of the channel its events
 * cross on.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { retrying } from "./kv_retry.ts";
import { type IsolateStore, openIsolateStore } from "./store_dir.ts";

/** Options of `IsolateBackplane.connect` (adapters/isolates/backplane.ts). */
export interface IsolateBackplaneOptions {
  /**
   * The Deno KV file every isolate opens. @default {a file of this process,
   * adapters/isolates/store_dir.ts}
   */
  path?: string;
  /** The BroadcastChannel's name. @default {one per store} */
  channel?: string;
  /**
   * Ports to the other isolates, one each, instead of the BroadcastChannel:
   * a parent that starts the isolates as Workers can hand each pair the two
   * ends of a `MessageChannel` (cheaper, and nothing is ever dropped).
   * Isolates that start later are added with `IsolateBackplane.link`'s
   * `addPort`.
   */
  ports?: readonly MessagePort[];
  /** An open store to use instead of `path` (the host's own KV). */
  kv?: Deno.Kv;
  /** Prefix of every key. @default {["roomcast"]} */
  prefix?: Deno.KvKey;
  /** This isolate's id. @default {12 random hex digits} */
  id?: string;
  /**
   * An isolate whose lease is not renewed for this long is declared lost,
   * in ms. @default {10000}
   */
  leaseMs?: number;
  /** How long an announcement waits for the other isolates' counts, in ms. @default {1000} */
  tallyMs?: number;
  /**
   * Keep holding the store after `IsolateBackplane.close`, until
   * `IsolateBackplane.releaseStore` (a process that exits once all its
   * isolates have finished). @default {false}
   */
  holdStore?: boolean;
  /** Receives one record per event of the group (start, lost isolates). */
  log?: (record: LogRecord) => void;
}

/** A new isolate id: twelve random hex digits. */
export function randomIsolateId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Default lease, in ms. */
export const DEFAULT_ISOLATE_LEASE_MS = 10_000;

/** An open store, and what it was opened from. */
export interface OpenedStore {
  /** The store. */
  readonly kv: Deno.Kv;
  /** The process's store directory, when it was used. */
  readonly store: IsolateStore | undefined;
  /** The channel's name. */
  readonly channel: string;
}

/**
 * Open the store the options name (the process's, by default).
 *
 * @throws {Error} `Cannot share rooms between isolates: ...` without
 *   `--unstable-kv`, or when the store cannot be opened.
 */
export async function openStore(
  options: IsolateBackplaneOptions,
): Promise<OpenedStore> {
  if (options.kv === undefined && typeof Deno.openKv !== "function") {
    throw new Error(
      "Cannot share rooms between isolates: Deno KV needs the --unstable-kv flag",
    );
  }
  let store: IsolateStore | undefined;
  let kv = options.kv;
  try {
    if (kv === undefined && options.path === undefined) {
      store = await openIsolateStore();
    }
    const path = options.path ?? store?.path;
    kv ??= await retrying(() => Deno.openKv(path));
  } catch (e) {
    await store?.release();
    throw new Error(
      `Cannot share rooms between isolates: ${
        e instanceof Error ? e.message : String(e)
      }`,
      { cause: e },
    );
  }
  const channel = options.channel ?? store?.channel ??
    `roomcast:isolates:${options.path ?? "kv"}`;
  return { kv, store, channel };
}
