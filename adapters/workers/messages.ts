/**
 * What the main thread of `serve --workers` and its Workers say to each
 * other (structured clone over `postMessage`).
 *
 * @module
 */

import type { AnnounceResult, LogRecord } from "../../core/chat.ts";
import type { ServeOptions } from "../server/mod.ts";

/** A Worker's server options: everything but functions and objects with state. */
export type WorkerServeOptions = Omit<
  ServeOptions,
  "log" | "backplane" | "gate"
>;

/** How a Worker starts. */
export interface WorkerStart {
  readonly type: "start";
  /** The Worker's number, from 0. */
  readonly index: number;
  /** Its server: transports, addresses (TCP and HTTP share ports), limits. */
  readonly serve: WorkerServeOptions;
  /** The instance's shared store (adapters/isolates/store_dir.ts). */
  readonly store: { readonly path: string; readonly channel: string };
  /** The isolates' lease, in ms. */
  readonly leaseMs: number;
  /** Send only `error` records to the main thread (`--quiet`). */
  readonly quiet: boolean;
  /** A port to each other Worker (transferred with this message). */
  readonly ports: readonly MessagePort[];
  /**
   * The counters of the process's connection gate, on a SharedArrayBuffer
   * (adapters/connection_gate.ts): every Worker counts its connections
   * against the one descriptor limit.
   */
  readonly gateCounters?: Int32Array;
  /** Share rooms with other nodes through Redis as well. */
  readonly redis?: {
    readonly url: string;
    readonly leaseMs: number;
    readonly optional: boolean;
  };
}

/** From the main thread to a Worker. */
export type ToWorker =
  | WorkerStart
  | { readonly type: "announce"; readonly id: number; readonly text: string }
  | { readonly type: "port"; readonly port: MessagePort }
  | { readonly type: "shutdown" };

/** A listener as a Worker reports it. */
export interface ListenerInfo {
  /** Transport name. */
  readonly transport: string;
  /** Where clients connect. */
  readonly url: string;
}

/** From a Worker to the main thread. */
export type FromWorker =
  | { readonly type: "started"; readonly listeners: ListenerInfo[] }
  | { readonly type: "failed"; readonly error: string }
  | {
    readonly type: "announced";
    readonly id: number;
    readonly result: AnnounceResult;
  }
  | { readonly type: "log"; readonly record: LogRecord }
  | { readonly type: "stopped" };
