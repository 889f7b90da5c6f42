// Live memory of a server process, read through the V8 inspector: a server
// started with `--inspect=127.0.0.1:0` prints the inspector's address, and
// this helper asks it for a full garbage collection, then for
// `Deno.memoryUsage()`. Resident memory alone cannot tell what a process
// still holds from garbage V8 has not collected yet and pages it has not
// given back to the system.

/** What a process holds after a full garbage collection, in bytes. */
export interface LiveMemory {
  /** V8 heap in use. */
  heapUsed: number;
  /** Memory of ArrayBuffers and other objects outside the heap. */
  external: number;
  /** Resident set size. */
  rss: number;
}

/** The inspector address a process started with `--inspect` printed. */
export const INSPECTOR_LINE = /Debugger listening on (ws:\/\/\S+)/;

/**
 * Collect garbage in the process behind the inspector at `url`, then read
 * its memory. Every wait is bounded (5 s).
 */
export async function liveMemory(url: string): Promise<LiveMemory> {
  const ws = new WebSocket(url);
  const answers = new Map<number, (result: unknown) => void>();
  let failed: (e: Error) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => {});
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (m.id === undefined) return;
    if (m.error) failed(new Error(`inspector: ${m.error.message}`));
    else answers.get(m.id)?.(m.result);
  };
  ws.onerror = () => failed(new Error(`inspector: cannot reach ${url}`));
  let id = 0;
  const call = (method: string, params: object = {}) => {
    const mine = ++id;
    const answer = new Promise<unknown>((resolve) =>
      answers.set(mine, resolve)
    );
    ws.send(JSON.stringify({ id: mine, method, params }));
    return Promise.race([answer, failure]);
  };
  const timer = setTimeout(
    () => failed(new Error("inspector: no answer in 5 s")),
    5000,
  );
  try {
    await Promise.race([
      new Promise((resolve) => (ws.onopen = resolve)),
      failure,
    ]);
    await call("HeapProfiler.collectGarbage");
    const result = await call("Runtime.evaluate", {
      expression: "JSON.stringify(Deno.memoryUsage())",
      returnByValue: true,
    }) as { result: { value: string } };
    return JSON.parse(result.result.value) as LiveMemory;
  } finally {
    clearTimeout(timer);
    const closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.close();
    await closed;
  }
}
