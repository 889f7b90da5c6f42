// The harness of the transport suite (tests/adapters/_conformance.ts): the
// conformance kit's harness (adapters/conformance/harness.ts) with a hand on
// the server it started for the case, so that server cases can set limits,
// announce and shut down.

import type { Server } from "../../adapters/server/serve.ts";
import type { AnnounceResult } from "../../core/chat.ts";
import {
  type ConformanceCase,
  Harness,
  type HarnessOptions,
} from "../../adapters/conformance/mod.ts";
import type { Wire } from "../../adapters/conformance/mod.ts";
import type { DatagramLimits } from "../../core/datagram/limits.ts";
import type { Limits } from "../../core/limits.ts";
import type { TestClient } from "./_client.ts";

/** What a case asks of the server it runs against. */
export interface StartOptions {
  /** Limits to override. */
  limits?: Partial<Limits>;
  /** How often the server applies timeouts, in ms. */
  tickMs?: number;
  /** UDP limits, where UDP is served (the others ignore them). */
  udp?: { limits?: Partial<DatagramLimits> };
}

/** A server started for one case (one thread, or Workers). */
export interface SuiteServer {
  /** The server, when it runs in this process (not with Workers). */
  readonly server?: Server;
  /** Where clients connect: the server's listeners. */
  readonly listeners: readonly {
    readonly transport: string;
    readonly url: string;
  }[];
  /** Announce to every room as the administrator. */
  announce(text: string): AnnounceResult | Promise<AnnounceResult>;
  /** Tell every member the server is shutting down, and close. */
  shutdown(): Promise<void>;
  /** Shut it down and remove whatever `start` made (temp dirs). */
  close(): Promise<void>;
}

/** How a transport plugs into the suite. */
export interface AdapterSuiteOptions {
  /** Transport name, used in test names. */
  name: string;
  /** Start a server serving this transport only. */
  start(options: StartOptions): Promise<SuiteServer>;
  /** Connect one raw client to it. */
  connectClient(server: SuiteServer): Promise<TestClient>;
  /**
   * The wire this transport is (`udp`, `stream`): the kit's cases for the
   * other wire are left out. Unset, nothing is left out but `skip`.
   */
  wire?: Wire;
  /**
   * Run the kit's chat, framing and bad-input cases with this transport's client
   * too. False where tests/adapters/conformance/kit_test.ts already runs
   * them with the same client (TCP, Unix). @default {true}
   */
  kitCases?: boolean;
  /** Names of cases that do not apply to this transport, with reasons. */
  skip?: readonly string[];
}

/** One case of the suite: a kit case, or one that needs the server. */
export interface Case extends Omit<ConformanceCase, "fn"> {
  /** Server options for this case. */
  start?: StartOptions;
  /** The test. */
  fn(h: SuiteHarness): Promise<void>;
}

/** One case's server and clients. */
export class SuiteHarness extends Harness {
  /** The server under test. */
  readonly server: SuiteServer;

  constructor(options: HarnessOptions, server: SuiteServer) {
    super(options);
    this.server = server;
  }

  /** Close every client, then the server. */
  override async end(): Promise<void> {
    try {
      await super.end();
    } finally {
      await this.server.close();
    }
  }
}
