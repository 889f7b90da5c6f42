// Test helpers for the chat page in a real browser: Debian's chromium driven
// by playwright-core (never a downloaded browser), headless, in a fresh
// profile; a ChatPage wraps one tab of the page; startHttpServe starts a real
// `cli.ts serve` with TCP and HTTP. Every wait is bounded.

import assert from "node:assert/strict";
import axe from "axe-core";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { Proc } from "../_process.ts";

/** Debian's chromium (.ci/deps.sh installs it). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a quiet, sandbox-free headless chromium that calls nobody. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

/** How long one browser wait may take, in ms. */
export const BROWSER_WAIT_MS = 10_000;

/**
 * How long starting chromium may take, in ms: longer than a wait, since a
 * full suite under `--parallel` can keep both cores busy while it starts.
 */
const LAUNCH_WAIT_MS = 30_000;

/** The admin token the test servers use. */
export const ADMIN_TOKEN = "web-page-test-admin-token-0123456789";

/** Run `promise`, failing after `ms` (the timer is always cleared). */
export async function deadline<T>(
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
          () => reject(new Error(`Cannot ${what}: no answer in ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A headless chromium with a fresh profile. */
export interface Browser {
  /** Its only context. */
  readonly context: BrowserContext;
  /** Close it and remove the profile. */
  close(): Promise<void>;
}

/** Start chromium with a fresh temporary profile. */
export async function launchBrowser(
  options: { locale?: string } = {},
): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Cannot run browser tests: no ${CHROMIUM} (bash .ci/deps.sh installs it)`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "roomcast-chromium-" });
  let context: BrowserContext;
  try {
    context = await deadline(
      chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [...CHROMIUM_FLAGS],
        locale: options.locale ?? "en-US",
        viewport: { width: 960, height: 600 },
        timeout: LAUNCH_WAIT_MS,
      }),
      LAUNCH_WAIT_MS + BROWSER_WAIT_MS,
      "start chromium",
    );
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  context.setDefaultTimeout(BROWSER_WAIT_MS);
  return {
    context,
    async close() {
      try {
        await deadline(context.close(), BROWSER_WAIT_MS, "close chromium");
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** One tab of the chat page, with what it did that it should not have. */
export class ChatPage {
  /** The tab. */
  readonly page: Page;
  /** Messages of dialogs (alert, confirm) the page opened. */
  readonly dialogs: string[] = [];
  /** Uncaught errors in the page. */
  readonly errors: string[] = [];
  /** Messages its WebSockets received, by kind. */
  readonly frames = { text: 0, binary: 0 };

  private constructor(page: Page) {
    this.page = page;
    page.on("websocket", (ws) => {
      ws.on("framereceived", (f) => {
        if (typeof f.payload === "string") this.frames.text++;
        else this.frames.binary++;
      });
    });
    page.on("dialog", (d) => {
      this.dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on("pageerror", (e) => this.errors.push(String(e)));
  }

  /** Open the page of a server in a new tab. */
  static async open(
    browser: Browser,
    base: string,
    setup?: (page: Page) => Promise<void>,
  ): Promise<ChatPage> {
    const page = await browser.context.newPage();
    const chat = new ChatPage(page);
    await setup?.(page);
    await page.goto(`${base}/`);
    return chat;
  }

  /**
   * Assert that the page spoke the binary subprotocol: everything its
   * WebSockets received was binary frames (it sends `auth` as JSON text).
   */
  spokeBinary(): void {
    assert.ok(this.frames.binary > 0, "no binary message received");
    assert.equal(this.frames.text, 0, "text messages received");
  }

  /** Type a name and a room with the keyboard and press Enter. */
  async join(name: string, room = "lobby"): Promise<void> {
    const p = this.page;
    await p.locator("#room").fill(room);
    await p.locator("#name").fill(name);
    await p.locator("#name").press("Enter");
  }

  /** Wait until the status line says you are in a room. */
  async joined(name: string): Promise<void> {
    await this.page.locator("#status").filter({ hasText: name })
      .and(this.page.locator("#status:not(.warn)"))
      .waitFor();
    await this.page.locator("#text:not([disabled])").waitFor();
  }

  /** Make the page believe its tab is hidden (or shown again). */
  async setHidden(hidden: boolean): Promise<void> {
    await this.page.evaluate(`(() => {
      Object.defineProperty(document, "hidden", {
        value: ${hidden},
        configurable: true,
      });
      document.dispatchEvent(new Event("visibilitychange"));
    })()`);
  }

  /**
   * Run axe-core (WCAG 2.1 A and AA rules, contrast included) on the page
   * as it is now.
   *
   * @returns One line per violation, with the elements it found.
   */
  async accessibilityViolations(): Promise<string[]> {
    await this.page.evaluate(axe.source);
    return await this.page.evaluate(`axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
      },
    }).then((r) => r.violations.map((v) =>
      v.id + ": " + v.help + " at " +
        v.nodes.map((n) => n.target.join(" ")).join(", ")
    ))`) as string[];
  }

  /** Type a message in the send box and press Enter. */
  async say(text: string): Promise<void> {
    const box = this.page.locator("#text");
    const lines = text.split("\n");
    await box.focus();
    for (const [i, line] of lines.entries()) {
      if (i > 0) await box.press("Shift+Enter");
      await box.pressSequentially(line);
    }
    await box.press("Enter");
  }

  /** Wait for a line in the message list whose text is exactly `text`. */
  async line(text: string, type?: string): Promise<void> {
    const items = this.page.locator(type ? `#log li.ev-${type}` : "#log li");
    await items.locator(".text").filter({
      hasText: new RegExp(`^${escape(text)}$`),
    }).first().waitFor();
  }

  /** The texts of the message list, in order. */
  lines(): Promise<string[]> {
    return this.page.locator("#log .text").allTextContents();
  }

  /** The names in the member list. */
  async members(): Promise<string[]> {
    return (await this.page.locator("#members li").evaluateAll((lis) =>
      lis.map((li) => li.firstChild?.textContent ?? "")
    )).sort();
  }

  /** Wait until the member list is exactly `names`. */
  async membersAre(names: string[]): Promise<void> {
    const want = JSON.stringify([...names].sort());
    const until = Date.now() + BROWSER_WAIT_MS;
    let got = "";
    while (Date.now() < until) {
      got = JSON.stringify(await this.members());
      if (got === want) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`members are ${got}, not ${want}`);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A `cli.ts serve` process with TCP and HTTP. */
export interface HttpServe {
  /** The process. */
  readonly proc: Proc;
  /** `tcp://127.0.0.1:PORT`. */
  readonly tcp: string;
  /** `http://127.0.0.1:PORT`. */
  readonly http: string;
  /** The HTTP port. */
  readonly httpPort: number;
}

/** Start `cli.ts serve` on TCP and HTTP and read where it listens. */
export async function startHttpServe(
  httpPort = 0,
  flags: string[] = [],
): Promise<HttpServe> {
  const proc = Proc.cli("serve", [
    "serve",
    "--transport",
    "tcp,http",
    "--port",
    "0",
    "--http-port",
    String(httpPort),
    ...flags,
  ], { env: { CHAT_ADMIN_TOKEN: ADMIN_TOKEN }, stdin: false });
  try {
    const tcp =
      (await proc.expect(/listen transport=tcp url=(\S+)/, "stderr"))[1]!;
    const http =
      (await proc.expect(/listen transport=http url=(\S+)/, "stderr"))[1]!;
    return { proc, tcp, http, httpPort: Number(new URL(http).port) };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}

/** Announce as the administrator over HTTP. */
export async function announce(http: string, text: string): Promise<void> {
  const res = await fetch(`${http}/api/announcements`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ text }),
  });
  const body = await res.text();
  assert.equal(res.status, 202, body);
}

/** The members of a room, by the HTTP API. */
export async function membersOf(http: string, room: string): Promise<string[]> {
  const res = await fetch(`${http}/api/rooms/${room}/members`);
  if (res.status === 404) {
    await res.body?.cancel();
    return [];
  }
  const body = await res.json() as { members: string[] };
  return body.members.sort();
}
