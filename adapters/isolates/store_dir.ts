/**
 * Where the isolates of one server instance keep their shared Deno KV
 * file, so that every isolate finds the same one without being told: a
 * directory named after the process (`roomcast-UID-isolates-PID`: the
 * isolates of `deno serve --parallel` and the Workers of `serve --workers`
 * all share the process id), under `$XDG_RUNTIME_DIR`, else `/dev/shm`,
 * else `$TMPDIR` or `/tmp` (a memory file system where there is one: a
 * commit on disk costs ten times more). Each isolate holds a shared lock
 * on the directory's `lock` file while it runs; the last one to let go
 * removes the directory, and a directory whose lock nobody holds (its
 * server crashed) is removed by the next instance that starts.
 *
 * @module
 */

/** The shared store of one instance. */
export interface IsolateStore {
  /** The Deno KV file. */
  readonly path: string;
  /** The name of the instance's BroadcastChannel. */
  readonly channel: string;
  /**
   * Let go of the store; the last isolate to do so removes its directory.
   */
  release(): Promise<void>;
  /**
   * After {@link IsolateStore.release}: wait until no isolate holds the
   * store any more (all have let go), at most `timeoutMs`.
   */
  unheld(timeoutMs: number): Promise<void>;
}

/** Options of {@link openIsolateStore}. */
export interface IsolateStoreOptions {
  /**
   * Directory under which the instance's directory is made.
   * @default {$XDG_RUNTIME_DIR, else /dev/shm, else $TMPDIR or /tmp}
   */
  base?: string;
}

const PREFIX = "roomcast-";

/**
 * Open (making it if needed) this process's store directory, hold it, and
 * remove the directories that crashed instances left behind.
 *
 * @param options Where to make it.
 * @returns The KV file's path, the channel name, and how to let go.
 * @throws {Error} `Cannot use store directory ...` when it cannot be made
 *   or is not ours.
 */
export async function openIsolateStore(
  options: IsolateStoreOptions = {},
): Promise<IsolateStore> {
  const base = options.base ?? defaultBase();
  const stem = `${PREFIX}${Deno.uid() ?? 0}-isolates-`;
  const dir = `${base}/${stem}${Deno.pid}`;
  let lock: Deno.FsFile | undefined;
  for (let attempt = 0; lock === undefined; attempt++) {
    try {
      await Deno.mkdir(dir, { mode: 0o700 }).catch((e) => {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      });
      const info = await Deno.lstat(dir);
      const uid = Deno.uid();
      if (!info.isDirectory || (uid !== null && info.uid !== uid)) {
        throw new Error("it is not a directory of this user");
      }
      const file = await Deno.open(`${dir}/lock`, {
        read: true,
        write: true,
        create: true,
        mode: 0o600,
      });
      await file.lock(false);
      // A sweeper may have removed the directory between mkdir and lock.
      const [held, there] = await Promise.all([
        file.stat(),
        Deno.stat(`${dir}/lock`).catch(() => undefined),
      ]);
      if (there?.ino === held.ino) lock = file;
      else {
        file.close();
        if (attempt >= 3) throw new Error("it keeps being removed");
      }
    } catch (cause) {
      throw new Error(
        `Cannot use store directory ${dir}: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
  }
  await sweep(base, stem, `${stem}${Deno.pid}`);
  let released = false;
  return {
    path: `${dir}/kv.sqlite`,
    channel: `roomcast:isolates:${dir}`,
    async release() {
      if (released) return;
      released = true;
      lock!.close();
      await removeIfUnheld(dir);
    },
    async unheld(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (await removeIfUnheld(dir)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** `$XDG_RUNTIME_DIR`, else `/dev/shm` when writable, else the temp dir. */
function defaultBase(): string {
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime) return runtime;
  try {
    const shm = Deno.statSync("/dev/shm");
    if (shm.isDirectory && ((shm.mode ?? 0) & 0o002)) return "/dev/shm";
  } catch { /* no /dev/shm */ }
  return Deno.env.get("TMPDIR") || "/tmp";
}

/** Remove the store directories of this user nobody holds any more. */
async function sweep(base: string, stem: string, own: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(base)) {
      if (!entry.isDirectory || !entry.name.startsWith(stem)) continue;
      if (entry.name === own) continue;
      await removeIfUnheld(`${base}/${entry.name}`);
    }
  } catch { /* cannot list: leave them */ }
}

/**
 * Remove a store directory when no isolate holds its lock.
 *
 * @returns True when it is gone (removed now or before).
 */
async function removeIfUnheld(dir: string): Promise<boolean> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(`${dir}/lock`, { read: true, write: true });
    if (!(await file.tryLock(true))) return false;
    await Deno.remove(dir, { recursive: true });
    return true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return false;
    // No lock file: gone, unless another isolate is removing it right now.
    return await Deno.stat(dir).then(() => false, () => true);
  } finally {
    file?.close();
  }
}
