import assert from "node:assert/strict";
import type { ErrorEvent } from "../../../core/events.ts";
import { Receipts } from "../../../adapters/web/receipts.ts";
import { ResumePoint } from "../../../adapters/web/resume_point.ts";

function receipts() {
  const told: string[] = [];
  const r = new Receipts({
    acked: (n) => told.push(`acked ${n}`),
    rejected: (n, e) => told.push(`rejected ${n} ${e?.code ?? "lost"}`),
  });
  return { r, told };
}

const error = (code: ErrorEvent["code"]): ErrorEvent => ({
  type: "error",
  code,
  message: "",
  fatal: false,
});

Deno.test("web receipts: a pong confirms its message and those before it", () => {
  const { r, told } = receipts();
  for (let i = 0; i < 3; i++) r.sent(r.next());
  r.pong(2);
  r.pong(7); // not ours
  assert.deepEqual(told, ["acked 1", "acked 2"]);
  r.failAll();
  assert.deepEqual(told.slice(2), ["rejected 3 lost"]);
});

Deno.test("web receipts: an error that answers a message refuses the oldest", () => {
  const { r, told } = receipts();
  assert.equal(r.refuse(error("RATE_LIMITED")), false); // nothing waits
  r.sent(r.next());
  r.sent(r.next());
  assert.equal(r.refuse(error("NAME_TAKEN")), false); // not a message's
  assert.equal(r.refuse(error("RATE_LIMITED")), true);
  r.pong(2);
  assert.deepEqual(told, ["rejected 1 RATE_LIMITED", "acked 2"]);
});

Deno.test("web resume point: counts events after a resumable WELCOME, and sees a repeated one", () => {
  const p = new ResumePoint();
  p.start("session-token");
  p.count(undefined);
  assert.equal(p.seen, 0); // not counting before a WELCOME
  const welcome = {
    type: "welcome",
    room: "lobby",
    name: "amy",
    members: ["amy"],
    total: 1,
    resume: { token: "resume-token", seq: 4, lost: 0, graceMs: 1000 },
  } as const;
  assert.equal(p.welcome(welcome), false);
  assert.equal(p.token, "resume-token");
  p.count({ type: "joined", room: "lobby", name: "bob" });
  p.count(undefined);
  p.count(welcome);
  assert.equal(p.seen, 6);
  assert.equal(p.welcome(welcome), true);
  p.end();
  assert.equal(p.token, undefined);
  p.count(undefined);
  assert.equal(p.seen, 4);
  p.clear();
  assert.equal(p.welcome(welcome), false);
});
