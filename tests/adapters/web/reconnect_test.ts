// The chat page (GET /) in a real browser when the connection goes away: a
// server restart (rejoin with the same name, waiting while it is taken), a
// dropped socket (the session resumes with what it missed) and a killed
// server (unknown token, new session). The page's timers run on Playwright's
// fake clock, so the test decides when the page tries again.

import assert from "node:assert/strict";
import { Proc } from "../../_process.ts";
import {
  type Browser,
  ChatPage,
  launchBrowser,
  membersOf,
  startHttpServe,
} from "../_browser.ts";

Deno.test("web page: after a server restart the page reconnects and rejoins", async () => {
  let server = await startHttpServe();
  let carl: Proc | undefined;
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    // The page's timers run on a fake clock so the test decides when it
    // tries again; sockets and requests stay real.
    const amy = await ChatPage.open(
      browser,
      server.http,
      (page) => page.clock.install(),
    );
    await amy.join("amy");
    await amy.joined("amy");
    await amy.page.clock.pauseAt(Date.now() + 1000);

    server.proc.kill("SIGTERM");
    await server.proc.exit();
    await amy.line("amy left the room (server shutting down)", "left");
    await amy.page.locator("#status.warn").filter({ hasText: /Reconnecting/ })
      .waitFor();
    assert.ok(await amy.page.locator("#text").isDisabled());
    assert.ok(await amy.page.locator("#retry").isVisible());

    // Same port; someone else takes the name before the page is back.
    server = await startHttpServe(server.httpPort);
    carl = Proc.cli("client", [
      "join",
      "--server",
      server.tcp,
      "--name",
      "amy",
    ]);
    await carl.expect("you are amy in lobby");
    await amy.page.clock.fastForward(60_000);
    await amy.page.locator("#status").filter({ hasText: /still taken/ })
      .waitFor();

    // The name is free again: the page gets it back.
    await carl.closeStdin();
    await carl.exit();
    await amy.page.clock.fastForward(60_000);
    await amy.joined("amy");
    await amy.line("you are amy in lobby; in lobby (1): amy", "welcome");
    assert.deepEqual(await membersOf(server.http, "lobby"), ["amy"]);

    carl = Proc.cli("client", [
      "join",
      "--server",
      server.tcp,
      "--name",
      "carl",
    ]);
    await carl.expect("you are carl in lobby");
    await amy.say("back again");
    await carl.expect("amy says: back again");
    assert.deepEqual(amy.errors, []);
  } finally {
    await carl?.stop();
    await browser?.close();
    await server.proc.stop();
  }
});

Deno.test("web page: a dropped connection resumes its session, missed messages included", async () => {
  let server = await startHttpServe();
  let carl: Proc | undefined;
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    // Every socket of the page goes through a proxy the test can cut.
    const cuts: (() => Promise<void>)[] = [];
    const amy = await ChatPage.open(browser, server.http, async (page) => {
      await page.clock.install();
      await page.routeWebSocket(/\/api\/ws$/, (ws) => {
        const upstream = ws.connectToServer();
        cuts.push(async () => {
          await ws.close({ code: 4000, reason: "network down" });
          await upstream.close();
        });
      });
    });
    await amy.join("amy");
    await amy.joined("amy");
    await amy.page.clock.pauseAt(Date.now() + 1000);
    carl = Proc.cli("client", [
      "join",
      "--server",
      server.tcp,
      "--name",
      "carl",
    ]);
    await carl.expect("you are carl in lobby");
    await amy.line("carl entered the room", "joined");

    await cuts.at(-1)!();
    await amy.page.locator("#status.warn").filter({ hasText: /Reconnecting/ })
      .waitFor();
    await carl.write("while you were away\n");
    // Within the grace period amy is still in the room.
    assert.deepEqual(await membersOf(server.http, "lobby"), ["amy", "carl"]);
    await amy.page.clock.fastForward(10_000);
    await amy.joined("amy");
    await amy.line("carl says: while you were away", "message");
    await amy.say("I am back");
    await carl.expect("amy says: I am back");
    assert.doesNotMatch(carl.stdout, /amy left/);
    assert.equal(cuts.length, 2);

    // A server killed outright forgets the session: the page is told its
    // token is unknown and makes a new session with the same name.
    server.proc.kill("SIGKILL");
    await server.proc.exit();
    await amy.page.locator("#status.warn").waitFor();
    server = await startHttpServe(server.httpPort);
    await amy.page.clock.fastForward(60_000);
    await amy.joined("amy");
    assert.deepEqual(await membersOf(server.http, "lobby"), ["amy"]);
    // One socket to learn that the token is unknown, one for the new session.
    assert.equal(cuts.length, 4);
    assert.deepEqual(amy.errors, []);
  } finally {
    await carl?.stop();
    await browser?.close();
    await server.proc.stop();
  }
});
