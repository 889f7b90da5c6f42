// A Worker for the lease tests: an isolate with a chat on the group's store
// and one member, told what to do by its parent.

import { IsolateBackplane } from "../../../adapters/isolates/mod.ts";
import { Chat } from "../../../core/chat.ts";
import { addMember } from "../../../core/member.ts";

interface Start {
  path: string;
  channel: string;
  leaseMs: number;
  name: string;
  room: string;
}

const scope = self as unknown as Worker;
scope.onmessage = async (e: MessageEvent<Start>) => {
  const o = e.data;
  const backplane = await IsolateBackplane.connect({
    path: o.path,
    channel: o.channel,
    leaseMs: o.leaseMs,
  });
  const chat = new Chat({ now: () => performance.now(), backplane });
  await addMember(chat, { name: o.name, room: o.room });
  scope.postMessage({ ready: backplane.nodeId });
};
