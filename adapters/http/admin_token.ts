/**
 * The administrator's bearer token for `POST /api/announcements`: taken from
 * `CHAT_ADMIN_TOKEN` or a file, or made at start and written to a file that
 * only its owner can read. The token itself is never logged.
 *
 * @module
 */

/**
 * Where the token came from: the environment, `--admin-token-file`, the
 * default file left by an earlier (or another) server of the same user, or
 * generated now.
 */
export type AdminTokenSource = "env" | "file" | "reused" | "generated";

/** A loaded admin token. */
export interface AdminToken {
  /** The secret. */
  readonly token: string;
  /** Where it came from. */
  readonly source: AdminTokenSource;
  /** The file it was read from or written to, if any. */
  readonly path?: string;
}

/** Options of {@link loadAdminToken}. */
export interface AdminTokenOptions {
  /** The token itself (from `CHAT_ADMIN_TOKEN`). */
  token?: string | undefined;
  /** A file holding the token (`--admin-token-file`). */
  file?: string | undefined;
  /** Where a generated token is written. @default {defaultAdminTokenPath()} */
  generatedPath?: string | undefined;
}

/** The shortest admin token accepted from the environment or a file. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/**
 * Where a generated token goes: `$XDG_RUNTIME_DIR/roomcast-admin.token`, or
 * `/tmp/roomcast-UID-admin.token` where that variable is not set. `cli.ts
 * announce` reads it from there when no token is given.
 *
 * @returns The path.
 */
export function defaultAdminTokenPath(): string {
  const dir = Deno.env.get("XDG_RUNTIME_DIR");
  if (dir) return `${dir}/roomcast-admin.token`;
  return `/tmp/roomcast-${Deno.uid() ?? 0}-admin.token`;
}

/**
 * A fresh random token: 32 random bytes, base64url.
 *
 * @returns The token.
 */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-")
    .replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Load the admin token: the given token, else the file, else the token in
 * `generatedPath` when a server of this user already wrote one there (so
 * several servers on one machine share it and never overwrite each other's),
 * else a new one written there (mode 0600).
 *
 * @param options Token, file and where to write a generated one.
 * @returns The token and where it came from.
 * @throws {Error} `Cannot read admin token ...` / `Cannot write admin token ...`.
 */
export async function loadAdminToken(
  options: AdminTokenOptions,
): Promise<AdminToken> {
  if (options.token !== undefined && options.token !== "") {
    checkStrength(options.token.trim(), "CHAT_ADMIN_TOKEN");
    return { token: options.token.trim(), source: "env" };
  }
  if (options.file !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(options.file);
    } catch (cause) {
      throw new Error(
        `Cannot read admin token from ${options.file}: ${messageOf(cause)}`,
        { cause },
      );
    }
    const token = text.trim();
    checkStrength(token, options.file);
    return { token, source: "file", path: options.file };
  }
  const path = options.generatedPath ?? defaultAdminTokenPath();
  const kept = await readPrivate(path);
  if (kept !== undefined) return { token: kept, source: "reused", path };
  const token = randomToken();
  // Isolates of one process start together: the first to create the file
  // wins, the others read its token (never a half-written file).
  if (!(await createPrivate(path, token + "\n"))) {
    const first = await readPrivate(path);
    if (first !== undefined) return { token: first, source: "reused", path };
    await writePrivate(path, token + "\n");
  }
  return { token, source: "generated", path };
}

/**
 * Create a private file with its whole content at once, unless one is
 * there: written under another name, then linked (link never replaces).
 *
 * @returns False when a file was there already.
 */
async function createPrivate(path: string, text: string): Promise<boolean> {
  const temp = `${path}.${randomToken().slice(0, 12)}.tmp`;
  try {
    await writeNew(temp, text);
    await Deno.link(temp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw new Error(`Cannot write admin token to ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

function checkStrength(token: string, where: string): void {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new Error(
      `Cannot use admin token from ${where}: it must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces`,
    );
  }
}

/**
 * The token in a file that is ours, private (no group or other bits) and
 * well-formed; undefined otherwise.
 */
async function readPrivate(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.lstat(path);
    const uid = Deno.uid();
    if (!info.isFile || (info.mode ?? 0o777) & 0o077) return undefined;
    if (uid !== null && info.uid !== uid) return undefined;
    const token = (await Deno.readTextFile(path)).trim();
    if (token.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(token)) {
      return undefined;
    }
    return token;
  } catch {
    return undefined;
  }
}

/** Write a file only its owner can read, never through a symlink. */
async function writePrivate(path: string, text: string): Promise<void> {
  try {
    const info = await Deno.lstat(path).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    });
    if (info !== undefined) {
      if (!info.isFile) {
        throw new Error("something that is not a file is there");
      }
      const uid = Deno.uid();
      if (uid !== null && info.uid !== null && info.uid !== uid) {
        throw new Error("the file there belongs to another user");
      }
      await Deno.remove(path);
    }
    await writeNew(path, text);
  } catch (cause) {
    throw new Error(
      `Cannot write admin token to ${path}: ${messageOf(cause)}`,
      { cause },
    );
  }
}

/**
 * Write a new file that only its owner can read; fails when anything is
 * there. createNew (O_EXCL) never follows a symlink planted in between.
 */
async function writeNew(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, {
    write: true,
    createNew: true,
    mode: 0o600,
  });
  try {
    await file.write(new TextEncoder().encode(text));
  } finally {
    file.close();
  }
  await Deno.chmod(path, 0o600);
}

/**
 * Compare a presented token with the admin token in constant time (both are
 * hashed first, so neither length nor content leaks through timing).
 *
 * @param presented What the client sent.
 * @param expected The admin token.
 * @returns True when they are equal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(await tokensEqual("secret-token", "secret-token"), true);
 * assert.equal(await tokensEqual("secret-tokem", "secret-token"), false);
 * ```
 */
export async function tokensEqual(
  presented: string,
  expected: string,
): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a), y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
