// The chat page (GET /) in a real browser: Debian's chromium, headless,
// driven by playwright-core, against a real `cli.ts serve` process, with a
// real `cli.ts join` member over TCP. Every test also checks that the page
// spoke the binary WebSocket subprotocol (roomcast.binary.v1). Set ROOMCAST_SCREENSHOT=docs/screenshot.png
// to refresh the README's screenshot; otherwise it goes to a temp dir.

import assert from "node:assert/strict";
import { Proc } from "../../_process.ts";
import {
  announce,
  type Browser,
  ChatPage,
  launchBrowser,
  membersOf,
  startHttpServe,
} from "../_browser.ts";

async function screenshot(chat: ChatPage): Promise<void> {
  const wanted = Deno.env.get("ROOMCAST_SCREENSHOT");
  const dir = wanted ? undefined : await Deno.makeTempDir();
  const path = wanted ?? `${dir}/page.png`;
  try {
    await chat.page.screenshot({ path });
    const png = await Deno.readFile(path);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("web page: two pages and a TCP member chat in en and zh", async () => {
  const server = await startHttpServe();
  let browser: Browser | undefined;
  let carl: Proc | undefined;
  try {
    // The browser speaks Chinese: the first page follows it.
    browser = await launchBrowser({ locale: "zh-CN" });
    const zhang = await ChatPage.open(browser, server.http);
    await zhang.join("张三");
    await zhang.joined("张三");
    await zhang.line("你是 张三,在 lobby 聊天室; lobby 聊天室成员 (1): 张三");

    // The second page switches to English.
    const amy = await ChatPage.open(browser, server.http);
    await amy.page.locator("#lang").selectOption("en");
    assert.equal(await amy.page.getAttribute("html", "lang"), "en");
    await amy.join("amy");
    await amy.joined("amy");
    await zhang.line("amy 进入了聊天室", "joined");
    await amy.membersAre(["amy", "张三"]);
    await zhang.membersAre(["amy", "张三"]);

    carl = Proc.cli("client", [
      "join",
      "--server",
      server.tcp,
      "--name",
      "carl",
    ]);
    await carl.expect("you are carl in lobby");
    await amy.line("carl entered the room", "joined");
    await zhang.line("carl 进入了聊天室", "joined");
    await amy.membersAre(["amy", "carl", "张三"]);

    await carl.write("hi from the terminal\n");
    await amy.line("carl says: hi from the terminal", "message");
    await zhang.line("carl 说: hi from the terminal", "message");

    // Enter sends; the sender's line is confirmed by the server.
    await amy.say("hello, everyone");
    await zhang.line("amy 说: hello, everyone", "message");
    await carl.expect("amy says: hello, everyone");
    await amy.page.locator("#log li.own.sent").filter({
      hasText: "amy says: hello, everyone",
    }).waitFor();
    assert.equal(await amy.page.locator("#text").inputValue(), "");

    // Shift+Enter is a new line inside one message.
    await zhang.say("第一行\n第二行");
    await amy.line("张三 says: 第一行\n第二行", "message");
    // In a terminal: the lines as lines, the second indented under the
    // sender (no \u{a} escape).
    await carl.expect("张三 says: 第一行\n  第二行\n");

    // The administrator's announcement reaches every page, and stands out.
    await announce(server.http, "server restarts at 10");
    await amy.line("*** admin says: server restarts at 10", "announcement");
    await zhang.line("*** 管理员 说: server restarts at 10", "announcement");
    await carl.expect("*** admin says: server restarts at 10");
    const look = await amy.page.evaluate(`(() => {
      const s = getComputedStyle(document.querySelector("#log .ev-announcement"));
      return { bg: s.backgroundColor, weight: s.fontWeight };
    })()`) as { bg: string; weight: string };
    assert.notEqual(look.bg, "rgba(0, 0, 0, 0)");
    assert.equal(look.weight, "600");

    // A hidden tab counts unread messages in its title.
    await zhang.setHidden(true);
    await amy.say("are you there?");
    await zhang.line("amy 说: are you there?");
    assert.match(await zhang.page.title(), /^\(1\) lobby · roomcast$/);
    await zhang.setHidden(false);
    assert.equal(await zhang.page.title(), "lobby · roomcast");

    // The language switch renders what is already there again.
    await screenshot(amy);
    await zhang.page.locator("#lang").selectOption("en");
    await zhang.line("carl says: hi from the terminal", "message");
    await zhang.page.locator("#lang").selectOption("zh");

    await carl.closeStdin();
    assert.equal((await carl.exit()).code, 0);
    await amy.line("carl left the room", "left");
    await zhang.line("carl 退出了聊天室", "left");
    await amy.membersAre(["amy", "张三"]);

    // Leave with the keyboard.
    await zhang.page.locator("#leave").focus();
    await zhang.page.keyboard.press("Enter");
    await amy.line("张三 left the room", "left");
    await amy.membersAre(["amy"]);
    assert.deepEqual(await membersOf(server.http, "lobby"), ["amy"]);

    for (const page of [amy, zhang]) {
      assert.deepEqual(page.errors, []);
      assert.deepEqual(page.dialogs, []);
      page.spokeBinary();
    }
  } finally {
    await carl?.stop();
    await browser?.close();
    await server.proc.stop();
  }
});

Deno.test("web page: a taken name is refused inline and the field keeps it", async () => {
  const server = await startHttpServe();
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const amy = await ChatPage.open(browser, server.http);
    await amy.join("amy");
    await amy.joined("amy");

    const other = await ChatPage.open(browser, server.http);
    await other.join("AMY"); // names are compared case-insensitively
    const error = other.page.locator("#join-error");
    await error.filter({ hasText: /is taken/ }).waitFor();
    assert.equal(await other.page.locator("#name").inputValue(), "AMY");
    assert.equal(
      await other.page.locator("#name").getAttribute("aria-invalid"),
      "true",
    );
    assert.equal(
      await other.page.evaluate("document.activeElement.id"),
      "name",
    );
    assert.ok(await other.page.locator("#text").isDisabled());
    // The refusal follows the language switch (the core's zh wording).
    await other.page.locator("#lang").selectOption("zh");
    await error.filter({ hasText: "该名字在本聊天室已被使用,请换一个" })
      .waitFor();

    // Typing clears it; another name gets in.
    await other.page.locator("#name").press("End");
    await other.page.keyboard.type("2");
    assert.equal(await error.textContent(), "");
    await other.page.locator("#name").press("Enter");
    await other.joined("AMY2");
    await amy.line("AMY2 entered the room", "joined");

    // Moving to a room where the name is taken is refused too; the member
    // stays where it was.
    const games = await ChatPage.open(browser, server.http);
    await games.join("amy", "games");
    await games.joined("amy");
    await amy.page.locator("#room").fill("games");
    await amy.page.locator("#room").press("Enter");
    await amy.page.locator("#join-error").filter({ hasText: /is taken/ })
      .waitFor();
    assert.equal(await amy.page.locator("#room").inputValue(), "games");
    assert.equal(
      await amy.page.locator("#room").getAttribute("aria-invalid"),
      "true",
    );
    await amy.joined("amy");
    assert.match(await amy.page.locator("#status").innerText(), /in lobby/);
    await amy.page.locator("#room").fill("chess");
    await amy.page.locator("#room").press("Enter");
    await amy.line("you are amy in chess; in chess (1): amy", "welcome");
    await other.line("amy 退出了聊天室", "left");
    await amy.membersAre(["amy"]);
    for (const page of [amy, other, games]) {
      assert.deepEqual(page.errors, []);
      page.spokeBinary();
    }
  } finally {
    await browser?.close();
    await server.proc.stop();
  }
});

Deno.test("web page: names and messages with markup are shown as text", async () => {
  const server = await startHttpServe();
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const evil = "<img src=x onerror=alert(1)>";
    const script = "<script>alert(2)</script><b>bold?</b>";
    const watcher = await ChatPage.open(browser, server.http);
    await watcher.join("watcher");
    await watcher.joined("watcher");
    const attacker = await ChatPage.open(browser, server.http);
    await attacker.join(evil);
    await attacker.joined(evil);
    await watcher.line(`${evil} entered the room`, "joined");
    await attacker.say(script);
    await watcher.line(`${evil} says: ${script}`, "message");
    await attacker.line(`${evil} says: ${script}`, "message");
    await announce(server.http, `<img src=y onerror=alert(3)>`);
    await watcher.line("*** admin says: <img src=y onerror=alert(3)>");
    await watcher.membersAre([evil, "watcher"]);
    for (const page of [watcher, attacker]) {
      for (const where of ["#log", "#members", "#status"]) {
        assert.equal(await page.page.locator(`${where} img`).count(), 0);
        assert.equal(await page.page.locator(`${where} script`).count(), 0);
        assert.equal(await page.page.locator(`${where} b`).count(), 0);
      }
      assert.deepEqual(page.dialogs, []);
      assert.deepEqual(page.errors, []);
      page.spokeBinary();
    }
    // The page allows no inline script even if markup got through.
    const res = await fetch(`${server.http}/`);
    await res.body?.cancel();
    assert.match(
      res.headers.get("content-security-policy") ?? "",
      /script-src 'self'/,
    );
  } finally {
    await browser?.close();
    await server.proc.stop();
  }
});

Deno.test("web page: a refused message is marked as not sent, never lost", async () => {
  const server = await startHttpServe(0, [
    "--max-message",
    "64",
    "--rate",
    "1",
    "--burst",
    "2",
  ]);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const amy = await ChatPage.open(browser, server.http);
    await amy.join("amy");
    await amy.joined("amy");
    const bob = await ChatPage.open(browser, server.http);
    await bob.join("bob");
    await bob.joined("bob");

    const long = "x".repeat(65);
    await amy.say(long);
    const failed = amy.page.locator("#log li.own.failed");
    await failed.filter({ hasText: `amy says: ${long}` }).waitFor();
    assert.match(await failed.locator(".note").innerText(), /^not sent: /);
    await amy.say("one");
    await amy.say("two");
    await amy.say("three");
    await bob.line("amy says: one", "message");
    await bob.line("amy says: two", "message");
    await failed.filter({ hasText: "amy says: three" }).locator(".note")
      .filter({ hasText: /not sent: .*more than 1 per second/ }).waitFor();
    // In Chinese, the reason is the core's own wording.
    await amy.page.locator("#lang").selectOption("zh");
    await failed.filter({ hasText: "amy 说: three" }).locator(".note")
      .filter({ hasText: "未发送:发送太快,消息未发送" }).waitFor();
    assert.ok(!(await bob.lines()).some((l) => l.includes("three")));
    assert.ok(!(await bob.lines()).some((l) => l.includes(long)));
    for (const page of [amy, bob]) page.spokeBinary();
  } finally {
    await browser?.close();
    await server.proc.stop();
  }
});

Deno.test("web page: keyboard only, and no WCAG A/AA violations found by axe", async () => {
  const server = await startHttpServe();
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const other = await ChatPage.open(browser, server.http);
    await other.join("bob");
    await other.joined("bob");
    const page = await ChatPage.open(browser, server.http);
    const keys = page.page.keyboard;
    assert.deepEqual(await page.accessibilityViolations(), []);

    // The name field has the focus; Tab reaches the room, Enter joins.
    assert.equal(await page.page.evaluate("document.activeElement.id"), "name");
    await keys.type("kim");
    await keys.press("Tab");
    assert.equal(await page.page.evaluate("document.activeElement.id"), "room");
    await keys.press("Enter");
    await page.joined("kim");
    // Then the message box has the focus.
    assert.equal(await page.page.evaluate("document.activeElement.id"), "text");
    await keys.type("typed without a mouse");
    await keys.press("Enter");
    await other.line("kim says: typed without a mouse", "message");
    await other.say("hi kim");
    await page.line("bob says: hi kim", "message");
    await announce(server.http, "maintenance at noon");
    await page.line("*** admin says: maintenance at noon", "announcement");
    assert.deepEqual(await page.accessibilityViolations(), []);

    // New messages are announced to screen readers.
    assert.equal(await page.page.locator("#log").getAttribute("role"), "log");
    assert.equal(
      await page.page.locator("#log").getAttribute("aria-live"),
      "polite",
    );
    // Every control has a label in the other language too.
    await page.page.locator("#lang").selectOption("zh");
    await page.page.locator("label[for=name]").filter({ hasText: "你的名字" })
      .waitFor();
    assert.deepEqual(await page.accessibilityViolations(), []);
    // Dark colours are readable too.
    await page.page.emulateMedia({ colorScheme: "dark" });
    assert.deepEqual(await page.accessibilityViolations(), []);
    for (const p of [page, other]) p.spokeBinary();
  } finally {
    await browser?.close();
    await server.proc.stop();
  }
});
