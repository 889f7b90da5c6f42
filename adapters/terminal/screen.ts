/**
 * The terminal side of `cli.ts join`: stdin lines through readline, and
 * output printed above the prompt so that the line being typed stays intact
 * when events arrive.
 *
 * @module
 */

import process from "node:process";
import readline from "node:readline";

const encoder = new TextEncoder();

/**
 * Write text to stdout, whole.
 *
 * @param text The text.
 */
export function writeOut(text: string): void {
  const bytes = encoder.encode(text);
  let at = 0;
  while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
}

function writeErrText(text: string): void {
  const bytes = encoder.encode(text);
  let at = 0;
  while (at < bytes.length) at += Deno.stderr.writeSync(bytes.subarray(at));
}

/**
 * Write a line to stderr.
 *
 * @param line The line, without its LF.
 */
export function writeErr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * A line in faint intensity (ANSI), for a terminal: the room's history.
 *
 * @param line The line.
 * @returns It, dimmed.
 */
export function dim(line: string): string {
  return `\x1b[2m${line}\x1b[22m`;
}

/**
 * A time of day as local hours and minutes, `HH:MM`.
 *
 * @param ms Ms since the Unix epoch.
 * @returns The local time.
 */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Stdin lines and stdout, on a terminal (with a prompt) or a pipe. */
export class Screen {
  /** The readline interface over stdin. */
  readonly rl: readline.Interface;
  /** Whether stdin and stdout are a terminal (prompt, line editing). */
  readonly interactive: boolean;

  /**
   * Start reading stdin.
   *
   * @param interactive Whether to prompt and edit lines on the terminal.
   */
  constructor(interactive: boolean) {
    this.interactive = interactive;
    this.rl = readline.createInterface({
      input: process.stdin,
      ...(interactive
        ? { output: process.stdout, terminal: true }
        : { terminal: false }),
    });
    this.rl.setPrompt("> ");
  }

  /**
   * Print a line; on a terminal, above the prompt and the line being typed.
   *
   * @param line The line, without its LF.
   * @param prompting Whether the prompt is shown (to be drawn again).
   * @param error Whether it goes to stderr (an error) rather than stdout.
   */
  print(line: string, prompting: boolean, error = false): void {
    const rl = this.rl;
    const write = error ? writeErrText : writeOut;
    if (!this.interactive) {
      write(line + "\n");
      return;
    }
    // Erase the prompt and the line being typed, which may wrap over several
    // rows, print above them, then have readline draw them again.
    const rows = prompting ? rl.getCursorPos().rows : 0;
    readline.moveCursor(process.stdout, 0, -rows);
    readline.cursorTo(process.stdout, 0);
    readline.clearScreenDown(process.stdout);
    write(line + "\n");
    if (prompting) {
      // Before redrawing, readline moves up as many rows as the cursor was
      // below the prompt: give it those rows so it does not climb into ours.
      writeOut("\n".repeat(rows));
      rl.prompt(true);
    }
  }

  /**
   * Ask a question on the terminal.
   *
   * @param question The question.
   * @returns The answer, or undefined at the end of input.
   */
  ask(question: string): Promise<string | undefined> {
    const rl = this.rl;
    return new Promise<string | undefined>((resolve) => {
      const onClose = () => resolve(undefined);
      rl.once("close", onClose);
      rl.question(question, (answer) => {
        rl.off("close", onClose);
        resolve(answer);
      });
    });
  }
}
