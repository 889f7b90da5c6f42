/**
 * Plain-text sessions, for people with `nc` or `telnet`: lines in, rendered
 * lines out. The first line is the member's name (asked for with a
 * prompt), every later line is a message, and lines starting with `/` are
 * commands (`/join ROOM`, `/who [ROOM]`, `/history`, `/lang en|zh`, `/quit`,
 * `/help`).
 * Events are written with the same renderings as the CLI (core/text/render.ts),
 * one per line; prompts and help with the wording in core/text/lines.ts.
 * docs/protocol.md ("Text mode") is the spec.
 *
 * Sans-IO: a {@link TextMode} belongs to one session (core/session.ts) and
 * talks to the chat only through it.
 *
 * @module
 */

import type { Command } from "../codec/mod.ts";
import type { ErrorCodeName, Refusal } from "../errors.ts";
import type { Outgoing } from "../peer.ts";
import { TEXT_LINES, TextLine } from "./lines.ts";
import type { Lang } from "./phrases.ts";
import { printable } from "./render.ts";

/** What a text session needs of its session; core/session.ts implements it. */
export interface TextHost {
  /** Language of rendered lines; `/lang` changes it. */
  lang: Lang;
  /** Display name once joined, else `""`. */
  readonly name: string;
  /** Handle one command as if it came as a frame. */
  handle(command: Command): void;
  /** Tell the member about a refusal (written as a rendered error line). */
  error(code: ErrorCodeName, message: string): void;
  /** Write a line that is not an event (prompts, help). */
  write(out: Outgoing): void;
  /** A name prompt was written: the join timeout starts again. */
  prompted(): void;
}

/** Options of a {@link TextMode}. */
export interface TextModeOptions {
  /** Longest line accepted, in UTF-8 bytes without its line ending. */
  maxLineBytes: number;
  /**
   * Each chunk is a datagram: its end also ends a line, and a line is never
   * carried over to the next chunk. @default {false}
   */
  datagram?: boolean;
  /** Room joined with the name. @default {"lobby"} */
  room?: string;
  /** Lines held while the name's JOIN is being decided. @default {64} */
  maxHeld?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

type Phase = "name" | "joining" | "chat";

/**
 * The line protocol of one text session.
 *
 * @example
 * ```ts ignore
 * const text = new TextMode(session, { maxLineBytes: 4096 });
 * text.prompt();
 * text.feed(new TextEncoder().encode("bob\nhello\n"));
 * ```
 */
export class TextMode {
  readonly #host: TextHost;
  readonly #max: number;
  readonly #datagram: boolean;
  readonly #maxHeld: number;
  #room: string;
  #phase: Phase = "name";
  #buf = new Uint8Array(0);
  #len = 0;
  #discarding = false;
  #held: string[] = [];
  #received = false;

  /**
   * @param host The session.
   * @param options Line limit and framing.
   */
  constructor(host: TextHost, options: TextModeOptions) {
    this.#host = host;
    this.#max = options.maxLineBytes;
    this.#datagram = options.datagram ?? false;
    this.#room = options.room ?? "lobby";
    this.#maxHeld = options.maxHeld ?? 64;
  }

  /** True once any byte came from the member. */
  get received(): boolean {
    return this.#received;
  }

  /** True once the member is in a room. */
  get joined(): boolean {
    return this.#phase === "chat";
  }

  /** Ask for a name (the first prompt is in both languages). */
  prompt(): void {
    this.#write(TEXT_LINES.en.firstPrompt);
    this.#host.prompted();
  }

  /**
   * Bytes from the member. Complete lines (LF or CRLF) are handled at once;
   * a partial line is kept until its end arrives (streams) or ends with
   * the chunk (datagrams).
   */
  feed(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#received = true;
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) break;
      this.#take(chunk.subarray(start, lf), true);
      start = lf + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start), this.#datagram);
  }

  /**
   * The session's JOIN was decided. In the name phase a refusal asks for
   * another name; otherwise the error line the session wrote says it all.
   */
  answered(result: Refusal | undefined): void {
    if (this.#phase !== "joining") return;
    if (result === undefined) {
      this.#phase = "chat";
    } else {
      this.#phase = "name";
      if (this.#held.length === 0) {
        this.#write(TEXT_LINES[this.#host.lang].retry);
        this.#host.prompted();
      }
    }
    while (this.#held.length > 0 && (this.#phase as Phase) !== "joining") {
      this.#line(this.#held.shift()!);
    }
  }

  /** Part of a line; `end` when the line ends with it. */
  #take(part: Uint8Array, end: boolean): void {
    if (this.#discarding) {
      if (end) this.#discarding = false;
      return;
    }
    const size = this.#len + part.length;
    // One byte more than the limit may be the CR of a CRLF.
    if (
      size > this.#max + 1 ||
      (end && size === this.#max + 1 && !endsWithCr(this.#buf, this.#len, part))
    ) {
      this.#len = 0;
      this.#discarding = !end;
      this.#host.error(
        "LINE_TOO_LONG",
        `Cannot accept line: it is longer than ${this.#max} bytes`,
      );
      return;
    }
    if (!end) {
      this.#keep(part);
      return;
    }
    let bytes = part;
    if (this.#len > 0) {
      this.#keep(part);
      bytes = this.#buf.subarray(0, this.#len);
      this.#len = 0;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) {
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    let line: string;
    try {
      line = decoder.decode(bytes);
    } catch {
      this.#host.error("INVALID_UTF8", "Cannot accept line: not valid UTF-8");
      return;
    }
    if (this.#phase !== "joining") {
      this.#line(line);
    } else if (this.#held.length < this.#maxHeld) {
      this.#held.push(line);
    } else {
      this.#host.error(
        "JOIN_PENDING",
        "Cannot hold the line: a JOIN is still being decided",
      );
    }
  }

  #keep(part: Uint8Array): void {
    const need = this.#len + part.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2, 64));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(part, this.#len);
    this.#len = need;
  }

  #line(line: string): void {
    if (line.trim() === "") return;
    if (line.startsWith("/") && !line.startsWith("//")) {
      this.#command(line);
    } else if (this.#phase === "name") {
      this.#phase = "joining";
      this.#host.handle({ type: "join", room: this.#room, name: line });
    } else {
      this.#host.handle({
        type: "say",
        text: line.startsWith("//") ? line.slice(1) : line,
      });
    }
  }

  #command(line: string): void {
    const [command = "", ...args] = line.trim().split(/\s+/);
    const words = TEXT_LINES[this.#host.lang];
    switch (command) {
      case "/quit":
      case "/exit":
        return this.#host.handle({ type: "leave" });
      case "/who":
        if (args.length > 1) {
          return this.#write(`${words.oneWord}: ${args.join(" ")}\n`);
        }
        return this.#host.handle({ type: "who", room: args[0] ?? "" });
      case "/history":
        return this.#host.handle({ type: "recall" });
      case "/join": {
        const room = args[0];
        if (room === undefined) return this.#write(`${words.usageJoin}\n`);
        if (args.length > 1) {
          return this.#write(`${words.oneWord}: ${args.join(" ")}\n`);
        }
        if (this.#phase === "chat") {
          return this.#host.handle({
            type: "join",
            room,
            name: this.#host.name,
          });
        }
        this.#room = room;
        this.#write(`${words.room(printable(room))}\n`);
        return this.#write(words.prompt);
      }
      case "/lang": {
        const lang = args[0];
        if (lang === undefined) {
          return this.#write(`${words.lang} (/lang en|zh)\n`);
        }
        if (lang !== "en" && lang !== "zh") {
          return this.#write(`${words.usageLang}\n`);
        }
        this.#host.lang = lang;
        this.#write(`${TEXT_LINES[lang].lang}\n`);
        if (this.#phase === "name") this.#write(TEXT_LINES[lang].prompt);
        return;
      }
      case "/help":
        return this.#write(`${words.help}\n`);
      default:
        // What the member typed, escaped like everything else written.
        return this.#write(`${words.unknown(printable(command))}\n`);
    }
  }

  #write(text: string): void {
    this.#host.write(new TextLine(text));
  }
}

function endsWithCr(buf: Uint8Array, len: number, part: Uint8Array): boolean {
  const last = part.length > 0 ? part[part.length - 1] : buf[len - 1];
  return last === CR;
}
