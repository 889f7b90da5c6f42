/**
 * The administrator's console: each line typed on the server's stdin is
 * announced to every room. End of input stops the console, not the server.
 *
 * @module
 */

import type { Chat } from "../core/chat.ts";

/**
 * Read announcement lines from a byte stream until it ends.
 *
 * @param chat The chat to announce to.
 * @param input Where lines come from (the server's stdin).
 * @param report Told the outcome of each line.
 * @returns Settles at end of input.
 */
export async function runConsole(
  chat: Chat,
  input: ReadableStream<Uint8Array>,
  report: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  const announce = (raw: string) => {
    const text = raw.replace(/\r$/, "");
    if (text.trim() === "") return;
    const result = chat.announce(text);
    report(
      result.ok
        ? `announced to ${result.rooms} room(s), ${result.delivered} member(s)`
        : `not announced: ${result.message}`,
    );
  };
  try {
    for await (const chunk of input) {
      rest += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        announce(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
  } catch {
    // stdin closed under us: the console stops, the server goes on
  }
  announce(rest + decoder.decode());
}
