/**
 * Read buffers of the stream connections and of the HTTP front: small ones
 * are views into shared slabs, so an idle member (whose pending read pins
 * its buffer) costs a view, not an ArrayBuffer of its own
 * (docs/performance.md, W3).
 *
 * @module
 */

/** Smallest read buffer: a pending read pins its buffer, so idle members stay cheap. */
export const MIN_READ = 128;
/** Largest read buffer. */
export const MAX_READ = 64 * 1024;

/** Read buffers in one shared slab. */
const SLAB_SLOTS = 256;
/** Free {@link MIN_READ}-byte read buffers, views into shared slabs. */
const freeReads: Uint8Array[] = [];

/**
 * A read buffer for a connection that reads little: a view into a shared
 * slab, so that an idle member (whose pending read pins its buffer) costs
 * a view, not an ArrayBuffer and an allocation of its own. Views are
 * disjoint, so pending reads never share bytes.
 *
 * @returns A free {@link MIN_READ}-byte view.
 */
export function takeReadBuffer(): Uint8Array {
  const free = freeReads.pop();
  if (free !== undefined) return free;
  const slab = new ArrayBuffer(MIN_READ * SLAB_SLOTS);
  for (let i = SLAB_SLOTS - 1; i > 0; i--) {
    freeReads.push(new Uint8Array(slab, i * MIN_READ, MIN_READ));
  }
  return new Uint8Array(slab, 0, MIN_READ);
}

/**
 * Give back a read buffer once no read is pending on it.
 *
 * @param buf The buffer; only {@link MIN_READ}-byte ones are kept.
 */
export function giveReadBuffer(buf: Uint8Array): void {
  if (buf.length === MIN_READ) freeReads.push(buf);
}
