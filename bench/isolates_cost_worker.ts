// The far side of bench/isolates_cost.ts: answers pings and counts what it
// receives, over a BroadcastChannel and over its Worker port.

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(m: unknown): void;
};
const channel = new BroadcastChannel("isolates-cost");
let received = 0, bytes = 0;
const handle = (
  data: { k: string; b?: Uint8Array; n?: number },
  reply: (m: unknown) => void,
) => {
  if (data.k === "ping") return reply({ k: "pong" });
  if (data.k === "load") {
    received++;
    bytes += data.b?.length ?? 0;
    if (received === data.n) {
      reply({ k: "done", bytes });
      received = 0;
      bytes = 0;
    }
  }
  if (data.k === "close") channel.close();
};
channel.onmessage = (e) => handle(e.data, (m) => channel.postMessage(m));
scope.onmessage = (e) => handle(e.data, (m) => scope.postMessage(m));
