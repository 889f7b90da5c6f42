/**
 * The parsers of the bench's number flags (bench/options.ts, bench/fuzz.ts,
 * bench/soak.ts), for commander: a finite number at least a bound, or a
 * whole one; else an `InvalidArgumentError` ("--rate must be a whole number
 * >= 1", without the flag when none is named).
 *
 * @module
 */

import { InvalidArgumentError } from "npm:@commander-js/extra-typings@14";

/**
 * A parser for a whole-number flag.
 *
 * @param min The least value allowed.
 * @param name The flag, without its dashes, to name in the error.
 * @returns The parser.
 */
export function wholeArg(min: number, name?: string): (v: string) => number {
  return parser(min, true, name);
}

/**
 * A parser for a number flag (fractions allowed).
 *
 * @param min The least value allowed.
 * @param name The flag, without its dashes, to name in the error.
 * @returns The parser.
 */
export function numberArg(min: number, name?: string): (v: string) => number {
  return parser(min, false, name);
}

function parser(min: number, integer: boolean, name: string | undefined) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${name === undefined ? "" : `--${name} `}must be a ${
          integer ? "whole " : ""
        }number >= ${min}`,
      );
    }
    return n;
  };
}
