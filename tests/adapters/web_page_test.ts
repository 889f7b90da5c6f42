// The chat page (GET /) in a real browser: Debian's chromium, headless,
// driven by playwright-core, against a real `cli.ts serve` process, with a
// real `cli.ts join` member over TCP. Set ROOMCAST_SCREENSHOT=docs/screenshot.png
// to refresh the README's screenshot; otherwise it goes to a temp dir.

import assert from "node:assert/strict";
import { Proc } from "../_process.ts";
import {
  ADMIN_TOKEN,
  type Browser,
  ChatPage,
  launchBrowser,
  startHttpServe,
} from "./_browser.ts";

async function announce(http: string, text: string): Promise<void> {
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

async function membersOf(http: string, room: string): Promise<string[]> {
  const res = await fetch(`${http}/api/rooms/${room}/members`);
  if (res.status === 404) {
    await res.body?.cancel();
    return [];
  }
  const body = await res.json() as { members: string[] };
  return body.members.sort();
}

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
    await carl.expect("张三 says: 第一行\\u{a}第二行");

    // The administrator's announcement reaches every page, and stands out.
    await announce(server.http, "server restarts at 10");
    await amy.line("admin says: server restarts at 10", "announcement");
    await zhang.line("管理员 说: server restarts at 10", "announcement");
    await carl.expect("admin says: server restarts at 10");
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
    }
  } finally {
    await carl?.stop();
    await browser?.close();
    await server.proc.stop();
  }
});
