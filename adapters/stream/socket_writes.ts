/**
 * Writes to a TCP socket straight through libc's `send(2)`, by Deno's FFI:
 * one system call, with no async op, promise or task behind it, so a write
 * completes within its flush round (W1 at 1,000 members 1.3-1.4x), and
 * costs about 1 µs less than `Deno.Conn.write` (docs/performance.md, "TCP
 * writes through libc" and "FFI's fast calls"). `Deno.Conn` does not say
 * which descriptor it holds, so it is found by its addresses: the one socket
 * of the process whose local and peer addresses are the connection's (a TCP
 * connection's four-tuple is unique). A connection whose descriptor is not
 * found, or a process without `--allow-ffi`, writes through Deno as before.
 *
 * The descriptor is used only while the connection is open: the stream
 * adapter forgets it before it closes the connection, since a closed
 * descriptor's number is soon another socket's.
 *
 * @module
 */

/** `send` returned this: the socket's buffer is full; write through Deno. */
export const WOULD_BLOCK = -1;
/** `send` failed otherwise (the peer is gone): the connection is broken. */
export const BROKEN = -2;

/**
 * How many descriptors a search looks at before it gives up (about 1 µs
 * each; a connection not found writes through Deno).
 */
const MAX_PROBES = 1024;
/** How far on either side of the last one found a search looks first. */
const NEAR = 16;
/** How many descriptors this isolate released are looked at next. */
const FREED = 64;

/** The most one `send` is asked to write (the rest is a partial write). */
const MAX_SEND = 1 << 30;

const EAGAIN = 11;
const EINTR = 4;
// Never block, and a peer that is gone is an error, not SIGPIPE.
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

const SYMBOLS = {
  // The result is read as its low 32 bits (x86-64 and AArch64 return an
  // ssize_t in one register; a write is capped at MAX_SEND), which keeps it
  // a plain number; the length goes as a BigInt. Both keep Deno's FFI on its
  // fast call path: 200 ns a call against 490-530 with a number for the
  // size_t or an `isize` result (a failing `send` measured each way here;
  // 145 ns from C).
  send: {
    parameters: ["i32", "buffer", "usize", "i32"],
    result: "i32",
  },
  dup: { parameters: ["i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

// libc is opened when this module is loaded, not at the first connection:
// a library opened inside a test counts as a leak for Deno's resource
// sanitizer, in our tests and in those of programs that embed a listener.
let opened: SocketWrites | undefined;

/** The socket writes of one isolate (descriptors are the process's). */
export class SocketWrites {
  readonly #libc: Libc;
  /** Descriptors this isolate holds for open connections. */
  readonly #held = new Set<number>();
  /** The descriptors released lately, newest last. */
  readonly #freed: number[] = [];
  #last = 2;
  readonly #addr = new Uint8Array(128);
  readonly #len = new Uint32Array(1);
  readonly #peer = new Uint8Array(128);
  readonly #local = new Uint8Array(128);

  private constructor(libc: Libc) {
    this.#libc = libc;
  }

  /**
   * The isolate's socket writes, or undefined where they cannot be had:
   * not Linux, no `--allow-ffi`, or no libc to open.
   *
   * @returns The socket writes, made once per isolate.
   */
  static open(): SocketWrites | undefined {
    return opened;
  }

  /** Opens libc where the process may: once, when the module loads. */
  static {
    const libc = openLibc();
    opened = libc ? new SocketWrites(libc) : undefined;
  }

  /**
   * The descriptor of an open TCP connection of this process, or -1.
   *
   * @param conn The connection, as accepted.
   * @returns Its descriptor, held until {@link release}; -1 if not found.
   */
  find(conn: Deno.TcpConn): number {
    const peer = this.#peer;
    const local = this.#local;
    const size = sockaddr(peer, conn.remoteAddr);
    const localSize = sockaddr(local, conn.localAddr);
    if (size === 0 || localSize === 0) return -1;
    // Descriptors go to the lowest free number, so an accepted socket is
    // mostly near the last one found, or in a hole a close left; the
    // Workers of a process share its descriptors, so the others' sockets
    // are among those looked at (they do not match); then around the lowest
    // free number, then from the lowest.
    let probes = 0;
    const tried = new Set<number>();
    const probe = (fd: number): boolean => {
      if (this.#held.has(fd) || tried.has(fd)) return false;
      tried.add(fd);
      probes++;
      return this.#is(fd, peer, size, local, localSize);
    };
    // The descriptors on either side of `center`, nearest first.
    const around = (center: number, reach: number): number => {
      for (let d = 1; d <= reach; d++) {
        if (probe(center + d)) return center + d;
        if (center - d > 2 && probe(center - d)) return center - d;
      }
      return -1;
    };
    const near = around(this.#last, NEAR);
    if (near >= 0) return this.#hold(near);
    for (let i = this.#freed.length - 1; i >= 0; i--) {
      if (probe(this.#freed[i]!)) return this.#hold(this.#freed[i]!);
    }
    // Around the lowest free number now: the socket took the lowest then;
    // those opened since (by any thread of the process) are above it, and
    // holes closed since are below. This finds it in a process with
    // thousands of descriptors, where a search from the lowest gives up.
    const free = this.#lowestFree();
    const hole = free > 0 ? around(free, MAX_PROBES / 4) : -1;
    if (hole >= 0) return this.#hold(hole);
    for (let fd = 3; probes < MAX_PROBES && fd < 1 << 20; fd++) {
      if (probe(fd)) return this.#hold(fd);
    }
    return -1;
  }

  /** The lowest free descriptor number (a `dup` of stdio, closed), or 0. */
  #lowestFree(): number {
    for (let fd = 0; fd < 3; fd++) {
      const copy = this.#libc.dup(fd);
      if (copy >= 0) {
        this.#libc.close(copy);
        return copy;
      }
    }
    return 0;
  }

  /** How many descriptors this isolate holds for open connections. */
  get held(): number {
    return this.#held.size;
  }

  #hold(fd: number): number {
    this.#held.add(fd);
    this.#last = fd;
    return fd;
  }

  /**
   * Forget a descriptor: call before the connection is closed.
   *
   * @param fd The descriptor {@link find} gave.
   */
  release(fd: number): void {
    if (!this.#held.delete(fd)) return;
    if (this.#freed.push(fd) > FREED) this.#freed.shift();
  }

  #is(
    fd: number,
    peer: Uint8Array,
    size: number,
    local: Uint8Array,
    localSize: number,
  ): boolean {
    const libc = this.#libc;
    const addr = this.#addr;
    const len = this.#len;
    len[0] = addr.length;
    if (libc.getpeername(fd, addr, len) !== 0 || len[0] !== size) return false;
    if (!same(addr, peer, size)) return false;
    len[0] = addr.length;
    if (libc.getsockname(fd, addr, len) !== 0 || len[0] !== localSize) {
      return false;
    }
    return same(addr, local, localSize);
  }

  /**
   * Write what the socket takes now, without blocking.
   *
   * @param fd The connection's descriptor.
   * @param bytes What to write.
   * @returns The count written (possibly fewer), {@link WOULD_BLOCK} or
   *   {@link BROKEN}.
   */
  write(fd: number, bytes: Uint8Array): number {
    for (;;) {
      const n = this.#libc.send(
        fd,
        bytes,
        BigInt(bytes.length < MAX_SEND ? bytes.length : MAX_SEND),
        MSG_DONTWAIT | MSG_NOSIGNAL,
      );
      if (n >= 0) return n;
      const errno = this.#errno();
      if (errno === EINTR) continue;
      return errno === EAGAIN ? WOULD_BLOCK : BROKEN;
    }
  }

  #errnoView: Deno.UnsafePointerView | undefined;

  #errno(): number {
    if (this.#errnoView === undefined) {
      const p = this.#libc.__errno_location();
      if (p === null) return 0;
      this.#errnoView = new Deno.UnsafePointerView(p);
    }
    return this.#errnoView.getInt32();
  }
}

function openLibc(): Libc | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return undefined;
    }
    return Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    return undefined;
  }
}

// A `sockaddr_in` or `sockaddr_in6` as the kernel writes it; its size, or 0.
function sockaddr(out: Uint8Array, addr: Deno.NetAddr): number {
  out.fill(0);
  const port = addr.port;
  const v4 = parseV4(addr.hostname);
  if (v4 !== undefined) {
    out[0] = 2; // AF_INET, little-endian sa_family
    out[2] = port >> 8;
    out[3] = port & 0xff;
    out.set(v4, 4);
    return 16;
  }
  const v6 = parseV6(addr.hostname);
  if (v6 === undefined) return 0;
  out[0] = 10; // AF_INET6
  out[2] = port >> 8;
  out[3] = port & 0xff;
  out.set(v6, 8); // after the flow label
  return 28;
}

function parseV4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
    ? bytes
    : undefined;
}

function parseV6(host: string): Uint8Array | undefined {
  // Deno gives the canonical form; an IPv4-mapped tail is written dotted.
  let h = host.replace(/^\[|\]$/g, "");
  const scope = h.indexOf("%");
  if (scope >= 0) return undefined; // link-local with a scope: not matched
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  let tail: number[] = [];
  const quad = dotted?.[1];
  if (quad !== undefined) {
    const v4 = parseV4(quad);
    if (v4 === undefined) return undefined;
    tail = v4;
    h = h.slice(0, -quad.length) + "0:0";
  }
  const halves = h.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...head, ...Array(fill).fill("0"), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] ?? "", 16);
    if (!(g >= 0 && g <= 0xffff)) return undefined;
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  if (tail.length) out.set(tail, 12);
  return out;
}

function same(a: Uint8Array, b: Uint8Array, size: number): boolean {
  // Family and port, then the address; sin6_flowinfo and scope are skipped.
  if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3]) {
    return false;
  }
  const [from, to] = size === 16 ? [4, 8] : [8, 24];
  for (let i = from; i < to; i++) if (a[i] !== b[i]) return false;
  return true;
}
