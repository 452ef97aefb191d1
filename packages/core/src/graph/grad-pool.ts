// The scratch pool of gradient storage: backward rules take buffers from it, the engine gives dead gradients back.
import type { FloatArray } from '../base/dtype.ts';
import type { Tensor } from './tensor.ts';

/**
 * Storage for the gradients backward rules produce. A raw rule takes a buffer with {@link scratchLike}
 * (or {@link scratchFor}, which may hand it dy's own storage) and must overwrite every element: a
 * recycled buffer holds an old gradient, not zeros. While the engine runs a built-in differentiable rule
 * unrecorded, it lends the pool to the ops' allocator ({@link lentStorage}, zeroed as a fresh array
 * would be), so the one form of a rule reuses storage as the raw forms do. The engine claims what a rule returns with
 * {@link claimScratch} and gives a gradient's storage back with {@link recycle} once nothing can see it
 * (not a leaf's `.grad`, a retained grad, a hook's argument, a result of `computeGrads` with inputs).
 * Dead buffers wait for the next backward pass in a small pool, so a training step reuses the previous
 * step's gradient storage instead of allocating it; the pool holds at most `POOL_BYTES`, and
 * `POOL_DEPTH` buffers of one size.
 */
const POOL_BYTES = 32 * 1024 * 1024;
const POOL_DEPTH = 8;
const pool = new Map<number, FloatArray[]>();
let pooledBytes = 0;
/** Buffers handed out by scratchLike and not yet claimed by the engine. */
const fresh = new WeakSet<FloatArray>();
/** The storage of the upstream gradient the running rule may overwrite, set by the engine. */
let donor: FloatArray | null = null;

const poolKey = (isFloat32: boolean, n: number): number => n * 2 + (isFloat32 ? 1 : 0);

/** Whether the ops' allocator takes its storage from the pool (set by the engine around a rule). */
let isLending = false;

/** A buffer of n elements of `like`'s type for a raw backward rule to fill completely. @internal */
export function scratchLike(like: FloatArray, n: number): FloatArray {
  return scratchOf(like instanceof Float32Array, n, false);
}

function scratchOf(isFloat32: boolean, n: number, isZeroed: boolean): FloatArray {
  const list = pool.get(poolKey(isFloat32, n));
  let buf = list?.pop();
  if (buf === undefined) buf = isFloat32 ? new Float32Array(n) : new Float64Array(n);
  else {
    pooledBytes -= buf.byteLength;
    if (isZeroed) buf.fill(0);
  }
  fresh.add(buf);
  return buf;
}

/**
 * Storage for an op's result while the engine lends the pool (zeroed, as a new typed array is), or null
 * when it does not. The ops' `alloc` asks here first. @internal
 */
export function lentStorage(isFloat32: boolean, n: number): FloatArray | null {
  return isLending ? scratchOf(isFloat32, n, true) : null;
}

/**
 * Lends the pool to the ops' allocator (or stops), returning the previous setting to restore. The
 * engine lends around the rules of a pass that recycles; a custom op stops it around user code, which
 * may keep what it allocates. @internal
 */
export function lend(isOn: boolean): boolean {
  const was = isLending;
  isLending = isOn;
  return was;
}

/**
 * The output buffer of an elementwise raw rule `dx[i] = f(dy[i], …)`: dy's own storage when the engine
 * donated it (no one else can see dy, and each element is read before it is written), else scratch.
 * @internal
 */
export function scratchFor(dy: Tensor): FloatArray {
  if (donor !== null && donor === dy.data) {
    donor = null;
    return dy.data;
  }
  return scratchLike(dy.data, dy.data.length);
}

/** Lets the next rule overwrite `buf` (null: none). @internal */
export function donate(buf: FloatArray | null): void {
  donor = buf;
}

/** Whether `buf` came from scratchLike and was not claimed yet; claims it. @internal */
export function claimScratch(buf: FloatArray): boolean {
  return fresh.delete(buf);
}

/** Gives a dead gradient's storage back for the next rule. @internal */
export function recycle(buf: FloatArray): void {
  if (buf.length === 0 || pooledBytes + buf.byteLength > POOL_BYTES) return;
  const key = poolKey(buf instanceof Float32Array, buf.length);
  const list = pool.get(key);
  if (list === undefined) pool.set(key, [buf]);
  else if (list.length < POOL_DEPTH) list.push(buf);
  else return;
  pooledBytes += buf.byteLength;
}
