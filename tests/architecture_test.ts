// The architecture, checked by reading the sources:
// - the core is sans-IO: no runtime APIs, no clocks or timers, no npm or node
//   modules, no reaching into the adapters (core/**/*.ts);
// - no two source files import each other, directly or in a circle;
// - an adapter folder reaches another only through that folder's mod.ts.
// Comments, including JSDoc examples, are ignored; string literals are not.

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
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

/** Relative module specifiers a source imports, statically or dynamically. */
export function importsOf(code: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of code.matchAll(pattern)) found.push(m[1]!);
  return found;
}

/**
 * The import graph of the sources (core/, adapters/, cli.ts, mod.ts; not
 * tests or bench), by path from the repository root, comments ignored.
 */
async function sourceGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const roots = [new URL("core/", ROOT), new URL("adapters/", ROOT)];
  const files: URL[] = [new URL("cli.ts", ROOT), new URL("mod.ts", ROOT)];
  for (const dir of roots) {
    for await (const url of tsFiles(dir)) files.push(url);
  }
  for (const url of files) {
    const code = stripComments(await Deno.readTextFile(url));
    const from = url.pathname.slice(ROOT.pathname.length);
    graph.set(
      from,
      importsOf(code).map((spec) =>
        new URL(spec, url).pathname.slice(ROOT.pathname.length)
      ),
    );
  }
  return graph;
}

/** Every import cycle in a graph, each as the files in it, first repeated. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") {
        cycles.push([...stack.slice(stack.indexOf(next)), next]);
      } else if (seen === undefined && graph.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) visit(node);
  }
  return cycles;
}

/**
 * Imports that break the folder rules: the core imports nothing outside
 * core/, and a file in adapters/X/ imports from another adapter folder Y only
 * through adapters/Y/mod.ts (files directly under adapters/ are shared by
 * all).
 */
export function folderViolations(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  const folderOf = (path: string) => {
    const parts = path.split("/");
    return parts[0] === "adapters" && parts.length > 2 ? parts[1] : undefined;
  };
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (from.startsWith("core/") && !to.startsWith("core/")) {
        problems.push(`${from} imports ${to}: the core imports only core/`);
      }
      const a = folderOf(from), b = folderOf(to);
      if (
        b !== undefined && a !== b && to !== `adapters/${b}/mod.ts` &&
        from.startsWith("adapters/")
      ) {
        problems.push(
          `${from} imports ${to}: another adapter's internals (use adapters/${b}/mod.ts)`,
        );
      }
    }
  }
  return problems;
}

Deno.test("architecture: findCycles and folderViolations see what they should", () => {
  const graph = new Map([
    ["core/a.ts", ["core/b.ts"]],
    ["core/b.ts", ["core/c.ts", "adapters/x/y.ts"]],
    ["core/c.ts", ["core/a.ts"]],
    ["adapters/x/y.ts", ["adapters/z/mod.ts"]],
    ["adapters/x/w.ts", ["adapters/z/inner.ts", "adapters/shared.ts"]],
    ["adapters/z/mod.ts", ["adapters/z/inner.ts"]],
    ["adapters/z/inner.ts", []],
  ]);
  assert.deepEqual(findCycles(graph), [[
    "core/a.ts",
    "core/b.ts",
    "core/c.ts",
    "core/a.ts",
  ]]);
  assert.deepEqual(folderViolations(graph), [
    "core/b.ts imports adapters/x/y.ts: the core imports only core/",
    "adapters/x/w.ts imports adapters/z/inner.ts: another adapter's internals (use adapters/z/mod.ts)",
  ]);
  assert.deepEqual(
    importsOf(
      'import a from "./a.ts";\nexport { b } from "../b.ts";\nawait import("./c.ts");\nimport "./d.ts";\nimport x from "npm:x";',
    ),
    ["./a.ts", "../b.ts", "./c.ts", "./d.ts"],
  );
});

Deno.test("architecture: no import cycles between source files", async () => {
  const graph = await sourceGraph();
  assert.ok(graph.size >= 40, `found only ${graph.size} source files`);
  assert.deepEqual(findCycles(graph).map((c) => c.join(" -> ")), []);
});

Deno.test("architecture: adapters depend on core, and reach other adapter folders only through their mod.ts", async () => {
  assert.deepEqual(folderViolations(await sourceGraph()), []);
});

Deno.test("architecture: every export path is doc-linted, has a @module doc with an example, and the root API stays small", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { exports: Record<string, string>; tasks: Record<string, string> };
  const linted = config.tasks.check!.match(/deno doc --lint ([^&]+)/)?.[1]
    ?.trim().split(/\s+/) ?? [];
  for (const [path, file] of Object.entries(config.exports)) {
    const source = await Deno.readTextFile(new URL(file, ROOT));
    const doc = source.slice(0, source.indexOf("*/"));
    assert.ok(doc.includes("@module"), `${path} (${file}): no @module doc`);
    assert.ok(doc.includes("@example"), `${path} (${file}): no example`);
    assert.ok(
      linted.includes(file.replace(/^\.\//, "")),
      `${path} (${file}) is not in the check task's deno doc --lint`,
    );
  }
  const root = stripComments(await Deno.readTextFile(new URL("mod.ts", ROOT)));
  const names = [...root.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)]
    .flatMap((m) => m[1]!.split(",").map((n) => n.trim()).filter(Boolean));
  assert.ok(names.length <= 25, `mod.ts exports ${names.length} names`);
});

/** Module specifiers a source imports that are neither relative nor `node:`. */
export function packageImportsOf(code: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']((?!\.{1,2}\/|node:)[^"'\s]+)["']/gm;
  for (const m of code.matchAll(pattern)) found.push(m[1]!);
  return found;
}

Deno.test("architecture: sources import packages by full npm: specifiers, the versions of deno.json's import map", async () => {
  // An embedding program imports mod.ts from its own folder, without this
  // project's deno.json: a bare specifier ("hono") would not resolve there.
  // The import map stays for the tests; both must name the same versions.
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { imports: Record<string, string> };
  const pinned = new Set(Object.values(config.imports));
  const problems: string[] = [];
  const graph = await sourceGraph();
  for (const from of graph.keys()) {
    const code = stripComments(
      await Deno.readTextFile(new URL(from, ROOT)),
    );
    for (const spec of packageImportsOf(code)) {
      const m = /^(npm:(?:@[^/@]+\/)?[^/@]+@[^/]+)(?:\/.*)?$/.exec(spec);
      if (m === null) {
        problems.push(`${from}: "${spec}" is not a full npm: specifier`);
      } else if (!pinned.has(m[1]!)) {
        problems.push(
          `${from}: "${spec}" names a version the import map does not`,
        );
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(
    packageImportsOf(
      'import { Hono } from "hono";\nimport x from "npm:zod@4";\nimport "./a.ts";\nimport y from "node:fs";\nawait import("npm:sucrase@3");',
    ),
    ["hono", "npm:zod@4", "npm:sucrase@3"],
  );
});
