import assert from "node:assert/strict";
import { errorPhrase, langFromLocale } from "../../../core/text/phrases.ts";

Deno.test("phrases: errorPhrase has a phrase for some codes only", () => {
  assert.match(errorPhrase("RATE_LIMITED", "en") ?? "", /too fast/);
  assert.equal(errorPhrase("FRAME_TOO_LARGE", "en"), undefined);
});

Deno.test("phrases: langFromLocale", () => {
  assert.equal(langFromLocale("zh_CN.UTF-8"), "zh");
  assert.equal(langFromLocale("zh-TW"), "zh");
  assert.equal(langFromLocale("ZH"), "zh");
  assert.equal(langFromLocale("en_US.UTF-8"), "en");
  assert.equal(langFromLocale("C"), "en");
  assert.equal(langFromLocale(""), "en");
  assert.equal(langFromLocale(undefined), "en");
});
