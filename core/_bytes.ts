// Private byte helpers for the codec: big-endian fields and length-prefixed
// UTF-8 strings over a DataView. No I/O.

import { FrameError } from "./errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (
      c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Write a u16-prefixed string of `n` UTF-8 bytes (its {@link utf8Length})
 * at `at`, ASCII without a TextEncoder call.
 *
 * @returns Where the field ends.
 */
export function putField(
  b: Uint8Array,
  at: number,
  s: string,
  n: number,
): number {
  b[at] = n >>> 8;
  b[at + 1] = n & 0xff;
  at += 2;
  if (n === s.length) {
    for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
  } else {
    encoder.encodeInto(s, b.subarray(at, at + n));
  }
  return at + n;
}

/** Builds one buffer from fields whose total size is known up front. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }

  u8(n: number): this {
    this.#view.setUint8(this.#at, n);
    this.#at += 1;
    return this;
  }

  u16(n: number): this {
    this.#view.setUint16(this.#at, n);
    this.#at += 2;
    return this;
  }

  u32(n: number): this {
    this.#view.setUint32(this.#at, n);
    this.#at += 4;
    return this;
  }

  /** An unsigned 64-bit integer, big-endian (exact up to 2^53 - 1). */
  u64(n: number): this {
    this.u32(Math.floor(n / 0x1_0000_0000));
    return this.u32(n >>> 0);
  }

  /** A string field: u16 byte length, then the UTF-8 bytes. */
  str(b: Uint8Array): this {
    this.u16(b.length);
    this.bytes.set(b, this.#at);
    this.#at += b.length;
    return this;
  }

  /**
   * A string field written from the string itself: u16 byte length `n`
   * (its {@link utf8Length}), then its UTF-8 bytes, with no buffer of its
   * own (a WELCOME's hundred names made a hundred).
   */
  text(s: string, n: number): this {
    this.#at = putField(this.bytes, this.#at, s, n);
    return this;
  }

  raw(b: Uint8Array): this {
    this.bytes.set(b, this.#at);
    this.#at += b.length;
    return this;
  }
}

/** Longest string decoded by the ASCII loop rather than a TextDecoder call. */
const ASCII_FAST_MAX = 256;

/** Reads fields from one frame payload; every read checks bounds. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #base: number;
  #at = 0;

  /**
   * @param bytes The payload.
   * @param base Offset of the payload within its frame, for error offsets.
   */
  constructor(bytes: Uint8Array, base = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#base = base;
  }

  #need(n: number, what: string): void {
    if (this.#at + n > this.#bytes.length) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode ${what}: frame ends ${
          this.#at + n - this.#bytes.length
        } byte(s) early`,
        this.#base + this.#at,
      );
    }
  }

  u8(what: string): number {
    this.#need(1, what);
    return this.#view.getUint8(this.#at++);
  }

  u16(what: string): number {
    this.#need(2, what);
    const n = this.#view.getUint16(this.#at);
    this.#at += 2;
    return n;
  }

  u32(what: string): number {
    this.#need(4, what);
    const n = this.#view.getUint32(this.#at);
    this.#at += 4;
    return n;
  }

  /** An unsigned 64-bit integer; past 2^53 - 1 it is malformed here. */
  u64(what: string): number {
    const hi = this.u32(what);
    const lo = this.u32(what);
    if (hi > 0x1f_ffff) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode ${what}: larger than 2^53 - 1`,
        this.#base + this.#at - 8,
      );
    }
    return hi * 0x1_0000_0000 + lo;
  }

  /** `n` raw bytes (a view, not a copy). */
  bytes(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const start = this.#at;
    this.#at += n;
    return this.#bytes.subarray(start, this.#at);
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.#at;
  }

  /** Skip every byte left, returning how many there were. */
  rest(): number {
    const n = this.#bytes.length - this.#at;
    this.#at = this.#bytes.length;
    return n;
  }

  /** A u16-length-prefixed UTF-8 string; invalid UTF-8 is an error. */
  str(what: string): string {
    const length = this.u16(what);
    this.#need(length, what);
    const start = this.#at;
    this.#at += length;
    // Short ASCII (names, rooms, most messages) without a decoder call:
    // each call crosses into the runtime, which costs more than the loop.
    if (length <= ASCII_FAST_MAX) {
      const b = this.#bytes;
      let ascii = true;
      for (let i = start; i < this.#at; i++) {
        if (b[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        return String.fromCharCode.apply(
          null,
          b.subarray(start, this.#at) as unknown as number[],
        );
      }
    }
    try {
      return decoder.decode(this.#bytes.subarray(start, this.#at));
    } catch (cause) {
      throw new FrameError(
        "INVALID_UTF8",
        `Cannot decode ${what}: not valid UTF-8`,
        this.#base + start,
        { cause },
      );
    }
  }

  /** Throws unless every byte of the payload was read. */
  end(what: string): void {
    if (this.#at !== this.#bytes.length) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode ${what}: ${
          this.#bytes.length - this.#at
        } unexpected trailing byte(s)`,
        this.#base + this.#at,
      );
    }
  }
}
