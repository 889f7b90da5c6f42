// tmux, driven from tests: a real interactive terminal. tmux is a test
// dependency (.ci/deps.sh installs it): without it the tests fail, they do
// not skip.

/**
 * Run a tmux command on a private server socket and return its stdout.
 *
 * @param socket The `-L` socket name, private to one test.
 * @param args The tmux command and its arguments.
 */
export async function tmux(socket: string, ...args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("tmux", {
      args: ["-L", socket, "-f", "/dev/null", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        "Cannot run the terminal tests: tmux is not installed (apt-get install tmux, or bash .ci/deps.sh)",
      );
    }
    throw e;
  }
  if (!out.success) {
    throw new Error(
      `tmux ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}
