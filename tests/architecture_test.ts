// The core is sans-IO: no runtime APIs, no clocks or timers, no npm or node
// modules, no reaching into the adapters. This test reads core/**/*.ts and
// fails on any of those in code (comments, including JSDoc examples, are
// ignored; string literals are not).

import assert from "node:assert/strict";

const CORE = new URL("../core/", import.meta.url);

const FORBIDDEN: readonly [RegExp, string][] = [
  [/\bDeno\./, "the Deno namespace (I/O belongs in adapters/)"],
  [/\bfrom\s*["']node:/, "a node: import"],
  [/\bfrom\s*["']npm:/, "an npm: import"],
  [/\bimport\s*\(/, "a dynamic import"],
  [/\.\.\/adapters/, "an adapters/ import"],
  [/\bsetTimeout\b/, "setTimeout (time moves only through Chat.tick)"],
  [/\bsetInterval\b/, "setInterval (time moves only through Chat.tick)"],
  [/\bDate\.now\b/, "Date.now (the clock is passed in)"],
  [/\bperformance\.now\b/, "performance.now (the clock is passed in)"],
  [/\bqueueMicrotask\b/, "queueMicrotask"],
];

/** Every .ts file under a directory, recursively. */
async function* tsFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      yield* tsFiles(new URL(`${entry.name}/`, dir));
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      yield new URL(entry.name, dir);
    }
  }
}

// Characters after which a `/` starts a regular expression, not a division.
const BEFORE_REGEX = new Set("(,=:[!&|?{};+-*%<>~^\n".split(""));
const KEYWORDS_BEFORE_REGEX =
  /\b(?:return|typeof|case|do|else|in|of|void|yield|await|throw|delete|new)$/;

/**
 * Blank out comments, keeping line breaks so that line numbers still match.
 * Understands string literals, template literals (with nested `${}`) and
 * regular expression literals well enough for this code base.
 */
function stripComments(src: string): string {
  let out = "";
  let i = 0;
  // Stack of open template literals' brace depths.
  const templates: number[] = [];
  let braces = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      const stop = end === -1 ? src.length : end;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") {
        j += src[j] === "\\" ? 2 : 1;
      }
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === "`" || (c === "}" && templates.at(-1) === braces)) {
      // Template text, from ` or from the } closing a ${, to ` or ${.
      if (c === "}") templates.pop();
      let j = i + 1;
      while (j < src.length && src[j] !== "`") {
        if (src[j] === "\\") {
          j += 2;
        } else if (src[j] === "$" && src[j + 1] === "{") {
          break;
        } else {
          j++;
        }
      }
      if (src[j] === "`") {
        out += src.slice(i, j + 1);
        i = j + 1;
      } else {
        out += src.slice(i, j + 2);
        i = j + 2;
        templates.push(braces);
      }
    } else if (c === "/") {
      const before = out.trimEnd();
      const prev = before.at(-1) ?? "\n";
      if (BEFORE_REGEX.has(prev) || KEYWORDS_BEFORE_REGEX.test(before)) {
        let j = i + 1;
        let inClass = false;
        while (j < src.length && src[j] !== "\n") {
          const d = src[j];
          if (d === "\\") j++;
          else if (d === "[") inClass = true;
          else if (d === "]") inClass = false;
          else if (d === "/" && !inClass) break;
          j++;
        }
        out += src.slice(i, j + 1);
        i = j + 1;
      } else {
        out += c;
        i++;
      }
    } else {
      if (c === "{") braces++;
      else if (c === "}") braces--;
      out += c;
      i++;
    }
  }
  return out;
}

Deno.test("architecture: stripComments removes comments and keeps code and strings", () => {
  const src = [
    'import { a } from "./a.ts"; // from "node:fs"',
    "/**",
    " * ```ts",
    ' * import assert from "node:assert/strict";',
    " * ```",
    " */",
    'const s = "// not a comment", t = `x ${s /* c */} // y`;',
    "const re = /[/*]+/g; // Date.now()",
    "const d = 4 / 2; // setTimeout",
    "Deno.exit();",
  ].join("\n");
  const code = stripComments(src);
  assert.equal(code.split("\n").length, src.split("\n").length);
  assert.ok(code.includes('import { a } from "./a.ts";'));
  assert.ok(!code.includes("node:"));
  assert.ok(code.includes('"// not a comment"'));
  assert.ok(code.includes("// y`"));
  assert.ok(!code.includes("/* c */"));
  assert.ok(code.includes("/[/*]+/g"));
  assert.ok(!code.includes("Date.now"));
  assert.ok(!code.includes("setTimeout"));
  assert.ok(code.includes("4 / 2"));
  assert.ok(code.includes("Deno.exit"));
});

Deno.test("architecture: core/ uses no runtime, clock, timer, npm, node or adapter APIs", async () => {
  const problems: string[] = [];
  let files = 0;
  for await (const url of tsFiles(CORE)) {
    files++;
    const name = url.pathname.slice(CORE.pathname.length);
    const source = await Deno.readTextFile(url);
    const code = stripComments(source);
    // The scanner must not swallow code: every import survives.
    assert.equal(
      (code.match(/^import\b/gm) ?? []).length,
      (source.match(/^import\b/gm) ?? []).length,
      `${name}: imports lost while stripping comments`,
    );
    code.split("\n").forEach((line, i) => {
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(line)) {
          problems.push(`core/${name}:${i + 1}: ${what}: ${line.trim()}`);
        }
      }
    });
  }
  assert.ok(files >= 10, `found only ${files} files under core/`);
  assert.deepEqual(problems, []);
});
