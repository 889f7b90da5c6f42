/**
 * Parsers of the command line's option values: each checks one flag's value
 * and throws commander's `InvalidArgumentError` with the reason, which
 * commander prints after the flag's name (exit 2).
 *
 * @module
 */

import { InvalidArgumentError } from "npm:@commander-js/extra-typings@14";
import { TRANSPORTS } from "../server/mod.ts";
import { parseHost, parseOrigin } from "../http/mod.ts";

/**
 * A parser of whole numbers of at least `min`.
 *
 * @param what The flag's name, for the message.
 * @param min The smallest value allowed.
 * @returns The parser.
 */
export function int(what: string, min = 0): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(
        `${what} must be a whole number >= ${min}`,
      );
    }
    return n;
  };
}

/**
 * Parse a number of seconds > 0.
 *
 * @param value The flag's value.
 * @returns The seconds.
 */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("must be a number of seconds > 0");
  }
  return n;
}

/**
 * Parse a cluster lease: a number of seconds >= 1.
 *
 * @param value The flag's value.
 * @returns The seconds.
 */
export function lease(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) {
    throw new InvalidArgumentError("must be a number of seconds >= 1");
  }
  return n;
}

/**
 * Parse a number of Workers: a whole number >= 1, or `auto` (one per core).
 *
 * @param value The flag's value.
 * @returns The number of Workers.
 */
export function workers(value: string): number {
  if (value === "auto") return Math.max(1, navigator.hardwareConcurrency);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError("must be a whole number >= 1, or auto");
  }
  return n;
}

/**
 * Parse a number of seconds >= 0 (0 turns the feature off).
 *
 * @param value The flag's value.
 * @returns The seconds.
 */
export function secondsOrOff(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("must be a number of seconds >= 0");
  }
  return n;
}

/**
 * Parse web origins, comma-separated or repeated, without duplicates.
 *
 * @param value The flag's value.
 * @param previous The origins of the flag's earlier occurrences.
 * @returns Every origin so far.
 */
export function origins(
  value: string,
  previous: string[] | undefined,
): string[] {
  const list = [...(previous ?? [])];
  for (const o of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    let origin: string;
    try {
      origin = parseOrigin(o);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
    if (!list.includes(origin)) list.push(origin);
  }
  return list;
}

/**
 * Parse host names, comma-separated or repeated, without duplicates.
 *
 * @param value The flag's value.
 * @param previous The hosts of the flag's earlier occurrences.
 * @returns Every host so far.
 */
export function hosts(value: string, previous: string[] | undefined): string[] {
  const list = [...(previous ?? [])];
  for (const h of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    let host: string;
    try {
      host = parseHost(h);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
    if (!list.includes(host)) list.push(host);
  }
  return list;
}

/**
 * Parse transport names ({@link TRANSPORTS}), comma-separated or repeated,
 * without duplicates.
 *
 * @param value The flag's value.
 * @param previous The transports of the flag's earlier occurrences.
 * @returns Every transport so far.
 */
export function transports(
  value: string,
  previous: string[] | undefined,
): string[] {
  const list = [...(previous ?? [])];
  for (const t of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!TRANSPORTS.has(t)) {
      throw new InvalidArgumentError(
        `"${t}" is not one of ${[...TRANSPORTS.keys()].join(", ")}`,
      );
    }
    if (!list.includes(t)) list.push(t);
  }
  return list;
}
