/**
 * The `join` client: an interactive terminal (or a pipe, or `--json`) over
 * any transport.
 *
 * @module
 */

export { ExitCode, type JoinOptions, runJoin } from "./join.ts";
