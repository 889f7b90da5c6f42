// The flags' value parsers: what each accepts, and the reason commander
// prints for what it refuses.

import assert from "node:assert/strict";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import {
  hosts,
  int,
  lease,
  origins,
  seconds,
  secondsOrOff,
  transports,
} from "../../../adapters/cli/options.ts";

function refused(f: () => unknown, message: RegExp): void {
  assert.throws(
    f,
    (e) => e instanceof InvalidArgumentError && message.test(e.message),
  );
}

Deno.test("cli options: numbers and seconds within their bounds", () => {
  assert.equal(int("port")("0"), 0);
  assert.equal(int("max-frame", 64)("64"), 64);
  refused(
    () => int("max-frame", 64)("63"),
    /^max-frame must be a whole number >= 64$/,
  );
  refused(() => int("port")("1.5"), /^port must be a whole number >= 0$/);
  refused(() => int("port")("x"), /whole number/);
  assert.equal(seconds("0.5"), 0.5);
  refused(() => seconds("0"), /^must be a number of seconds > 0$/);
  assert.equal(lease("1"), 1);
  refused(() => lease("0.5"), /^must be a number of seconds >= 1$/);
  assert.equal(secondsOrOff("0"), 0);
  refused(() => secondsOrOff("-1"), /^must be a number of seconds >= 0$/);
  refused(() => secondsOrOff("Infinity"), /seconds >= 0/);
});

Deno.test("cli options: lists are comma-separated or repeated, without duplicates", () => {
  assert.deepEqual(transports("tcp, udp,tcp", undefined), ["tcp", "udp"]);
  assert.deepEqual(transports("http", ["tcp"]), ["tcp", "http"]);
  refused(
    () => transports("tcp,pigeon", undefined),
    /^"pigeon" is not one of tcp, unix, udp, http$/,
  );
  const o = origins("https://chat.example.com,*", undefined);
  assert.equal(o.length, 2);
  assert.deepEqual(origins("*", o), o);
  refused(
    () => origins("ftp:/x", undefined),
    /the scheme must be http or https/,
  );
  const h = hosts("chat.example.com", undefined);
  assert.deepEqual(hosts("chat.example.com", h), h);
});
