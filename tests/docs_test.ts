// Keeps docs/protocol.md honest: every hex dump must be what the real encoder
// produces for the frame named above it, the frame, error code and leave
// reason tables must match the code, and so must what section 8 says of names
// and section 13.5 of renderings. The hex dumps of docs/http.md (the
// WebSocket binary subprotocol's messages) are checked the same way.
//
// Format checked (docs/protocol.md, section "Annotated hex dumps"): a
// paragraph `Frame: `{json}` (N bytes)` (or `Frames: `[json, ...]` (N bytes)`
// for several frames sent back to back), then a ```hex block. Each line of the
// block is hex byte pairs, optionally followed by `| +OFFSET description`.

import assert from "node:assert/strict";
import { encodeFrame, type Frame, FrameType } from "../core/codec/mod.ts";
import { ErrorCode } from "../core/errors.ts";
import { LeaveReason } from "../core/events.ts";
import { CASE_GROUPS } from "../adapters/conformance/mod.ts";
import {
  checkName,
  CONFUSABLES_VERSION,
  nameKey,
  RESERVED_NAMES,
} from "../core/names.ts";
import { renderEvent } from "../core/text/render.ts";

const DOC = new URL("../docs/protocol.md", import.meta.url);
const text = await Deno.readTextFile(DOC);
const lines = text.split("\n");
const HTTP_DOC = new URL("../docs/http.md", import.meta.url);

interface Dump {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  frames: Frame[];
  size: number;
  bytes: number[];
  /** Offsets stated in annotations, with the offset of their first byte. */
  offsets: { stated: number; actual: number; line: number }[];
}

function parseDumps(lines: readonly string[]): Dump[] {
  const dumps: Dump[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```hex") continue;
    const fence = i + 1;
    // The paragraph right above the block names the frame(s).
    let j = i - 1;
    while (j >= 0 && lines[j]?.trim() === "") j--;
    const para: string[] = [];
    while (j >= 0 && lines[j]?.trim() !== "") para.unshift(lines[j--]!.trim());
    const caption = para.join(" ");
    const m = caption.match(/^(Frames?): `(.+)` \((\d+) bytes\)$/);
    assert.ok(
      m,
      `line ${fence}: a hex block must follow "Frame: \`{...}\` (N bytes)", got ${
        JSON.stringify(caption)
      }`,
    );
    const parsed = JSON.parse(m[2]!);
    const frames: Frame[] = m[1] === "Frames" ? parsed : [parsed];
    const bytes: number[] = [];
    const offsets: Dump["offsets"] = [];
    for (i++; i < lines.length && lines[i]?.trim() !== "```"; i++) {
      const line = lines[i]!;
      const bar = line.indexOf("|");
      const hex = (bar < 0 ? line : line.slice(0, bar)).trim();
      const start = bytes.length;
      for (const pair of hex.split(/\s+/).filter((p) => p !== "")) {
        assert.match(
          pair,
          /^[0-9a-f]{2}$/,
          `line ${i + 1}: bad byte "${pair}"`,
        );
        bytes.push(parseInt(pair, 16));
      }
      const stated = bar < 0 ? null : line.slice(bar + 1).match(/^\s*\+(\d+)/);
      if (stated) {
        offsets.push({ stated: Number(stated[1]), actual: start, line: i + 1 });
      }
    }
    assert.ok(i < lines.length, `line ${fence}: hex block is not closed`);
    dumps.push({ line: fence, frames, size: Number(m[3]), bytes, offsets });
  }
  return dumps;
}

const dumps = parseDumps(lines);
const httpDumps = parseDumps((await Deno.readTextFile(HTTP_DOC)).split("\n"));

Deno.test("docs/protocol.md has the required hex dumps", () => {
  const types = new Set(dumps.flatMap((d) => d.frames.map((f) => f.type)));
  for (const t of ["hello", "join", "hello_ok", "welcome", "say", "message"]) {
    assert.ok(types.has(t as Frame["type"]), `no hex dump of a ${t} frame`);
  }
  assert.ok(
    dumps.some((d) =>
      d.frames.some((f) => f.type === "error" && f.code === "NAME_TAKEN")
    ),
    "no hex dump of a NAME_TAKEN error",
  );
});

Deno.test("docs/http.md has hex dumps of the binary WebSocket subprotocol", () => {
  assert.ok(httpDumps.length >= 4, `${httpDumps.length} dumps`);
  assert.ok(httpDumps.some((d) => d.frames.length > 1));
});

for (
  const [n, dump, doc] of [
    ...dumps.map((d, i) => [i, d, ""] as const),
    ...httpDumps.map((d, i) => [i, d, " of docs/http.md"] as const),
  ]
) {
  const name = dump.frames.map((f) => f.type).join(" + ");
  Deno.test(`docs hex dump${doc} #${n + 1} (${name}) is what encodeFrame produces`, () => {
    const expected = dump.frames.flatMap((f) => [...encodeFrame(f)]);
    assert.deepEqual(dump.bytes, expected, `hex block at line ${dump.line}`);
    assert.equal(dump.size, expected.length, "stated size in bytes");
    for (const o of dump.offsets) {
      assert.equal(o.stated, o.actual, `line ${o.line}: stated offset`);
    }
  });
}

/** Rows of the markdown tables whose cells match `row`. */
function rows(row: RegExp): RegExpMatchArray[] {
  return lines.map((l) => l.match(row)).filter((m) => m !== null);
}

Deno.test("docs/protocol.md frame table matches FrameType", () => {
  const found = rows(/^\|\s*`0x([0-9a-f]{2})`\s*\|\s*([A-Z_]+)\s*\|/).map((
    m,
  ) => [m[2]!, parseInt(m[1]!, 16)]);
  assert.deepEqual(
    Object.fromEntries(found),
    { ...FrameType },
    "frame table rows",
  );
  assert.equal(found.length, Object.keys(FrameType).length, "duplicate rows");
});

Deno.test("docs/protocol.md error code table matches ErrorCode", () => {
  const found = rows(/^\|\s*(\d+)\s*\|\s*`([A-Z_0-9]+)`\s*\|/).map((m) => [
    m[2]!,
    Number(m[1]),
  ]);
  assert.deepEqual(Object.fromEntries(found), { ...ErrorCode });
  assert.equal(found.length, Object.keys(ErrorCode).length, "duplicate rows");
});

Deno.test("docs/protocol.md leave reason table matches LeaveReason", () => {
  const found = rows(/^\|\s*(\d+)\s*\|\s*`([a-z_]+)`\s*\|/).map((m) => [
    m[2]!,
    Number(m[1]),
  ]);
  assert.deepEqual(Object.fromEntries(found), { ...LeaveReason });
  assert.equal(found.length, Object.keys(LeaveReason).length, "duplicate rows");
});

/**
 * The text of a section (`5.1`, `12.6`, `4`): from its heading to the next
 * heading of the same or a higher level, whitespace collapsed.
 */
function sectionText(section: string): string {
  const start = lines.findIndex((l) =>
    new RegExp(`^#{2,3} ${section.replace(".", "\\.")}\\.? `).test(l)
  );
  assert.ok(start >= 0, `no section ${section} in docs/protocol.md`);
  const level = lines[start]!.match(/^#+/)![0].length;
  let end = start + 1;
  while (
    end < lines.length &&
    !(lines[end]!.match(/^#+ /) &&
      lines[end]!.match(/^#+/)![0].length <= level)
  ) end++;
  return lines.slice(start, end).join(" ").replace(/\s+/g, " ");
}

Deno.test("docs/protocol.md says what the conformance kit checks, where the kit says", () => {
  let quotes = 0;
  for (const group of CASE_GROUPS) {
    for (const c of group.cases) {
      for (const spec of c.spec ?? []) {
        quotes++;
        assert.ok(
          sectionText(spec.section).includes(spec.says.replace(/\s+/g, " ")),
          `"${c.name}": section ${spec.section} does not say "${spec.says}"`,
        );
      }
    }
  }
  assert.ok(quotes >= 30, `only ${quotes} statements are pinned`);
});

Deno.test("docs/protocol.md no longer lists the two stale quirks (fatal per-frame error in one read, non-fatal errors before HELLO)", () => {
  const quirks = sectionText("14");
  for (
    const stale of [
      "the earlier per-frame error is sent with `fatal = 1`",
      "gets a non-fatal ERROR rather than `HELLO_REQUIRED`",
    ]
  ) assert.ok(!quirks.includes(stale), `section 14 still says "${stale}"`);
});

/** The text of a section, from its `## N.` heading to the next `## `. */
function section(n: number): string {
  const start = text.indexOf(`\n## ${n}. `);
  assert.ok(start >= 0, `section ${n}`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

Deno.test("docs/protocol.md section 8 says what the naming rules do", () => {
  const names = section(8);
  assert.ok(
    names.includes(`**Unicode ${CONFUSABLES_VERSION}**`),
    `section 8 names the data's Unicode version, ${CONFUSABLES_VERSION}`,
  );
  const rule9 = names.match(/^9\. .*?(?=^10\. )/ms)?.[0] ?? "";
  for (const reserved of RESERVED_NAMES) {
    assert.ok(rule9.includes(`\`${reserved}\``), `rule 9 lists ${reserved}`);
  }
  // The examples table: `name` [+ U+XXXX] or U+XXXX, then the answer.
  const examples = [...names.matchAll(
    /^\| (?:`([^`]+)`(?: \+ U\+([0-9A-F]{4}))?|U\+([0-9A-F]{4}))[^|]*\| ([^|]+?) +\|$/gm,
  )];
  assert.ok(examples.length >= 15, `examples found: ${examples.length}`);
  for (const [row, base, plus, alone, answer] of examples) {
    const name = alone
      ? String.fromCodePoint(parseInt(alone, 16))
      : base! + (plus ? String.fromCodePoint(parseInt(plus, 16)) : "");
    const got = checkName(name);
    const same = answer!.match(/^ok, (not )?the same name as `([^`]+)`$/);
    if (answer === "ok") {
      assert.ok(got.ok, row);
    } else if (same) {
      assert.ok(got.ok, row);
      assert.equal(got.key === nameKey(same[2]!), !same[1], row);
    } else if (answer!.startsWith("`NAME_TAKEN` next to")) {
      // Mixed scripts: refused, keyed like the name it looks like.
      const [, other] = answer!.match(/next to `([^`]+)`/)!;
      assert.ok(!got.ok && got.lookalike, row);
      assert.equal(got.lookalike.key, nameKey(other!), row);
    } else {
      assert.equal(got.ok ? "ok" : `\`${got.code}\``, answer, row);
    }
  }
});

Deno.test("docs/protocol.md section 13.5 shows the renderings of the code", () => {
  const table = section(13);
  const row = (event: string) =>
    table.match(
      new RegExp(
        `^\\| ${event} +\\| \`([^\`]+)\` +\\| \`([^\`]+)\` +\\|$`,
        "m",
      ),
    );
  const announcement = row("ANNOUNCEMENT");
  assert.ok(announcement, "ANNOUNCEMENT row");
  const a = {
    type: "announcement",
    room: null,
    text: "restart at 10",
  } as const;
  assert.equal(announcement[1], renderEvent(a, "en"));
  assert.equal(announcement[2], renderEvent(a, "zh"));
  const message = row("MESSAGE");
  assert.ok(message, "MESSAGE row");
  const m = {
    type: "message",
    room: "lobby",
    from: "bob",
    text: "hi",
  } as const;
  assert.equal(message[1], renderEvent(m, "en"));
  assert.equal(message[2], renderEvent(m, "zh"));
});
