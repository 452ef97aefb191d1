// Shape arithmetic on plain arrays: broadcasting, axes, strides, sizes and the shape format of error messages.
import { ArgumentError, ShapeError } from './errors.ts';

/** A tensor's dimensions, outermost first. `[]` is a scalar. @category Shape */
export type Shape = readonly number[];

/** Prints a shape as `[2, 3]` for error messages. @internal */
export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The number of elements of a shape (1 for a scalar). @internal */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous shape. @internal */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when two shapes are equal dimension by dimension. @internal */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that every dimension is a non-negative integer. @internal */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: dimensions must be non-negative integers, got shape ${fmt(shape)}`);
    }
  }
}

/**
 * The shape two shapes broadcast to, by NumPy's rule: align from the right; each pair of dimensions
 * must be equal or one of them 1.
 * @param a The first shape.
 * @param b The second shape.
 * @param op The op name used in the error message.
 * @returns The broadcast shape.
 * @throws {@link ShapeError} when a pair of dimensions differs and neither is 1.
 * @example
 * ```ts
 * import { broadcastShapes } from '@tapegrad/core';
 * broadcastShapes([2, 1], [1, 3]); // [2, 3]
 * ```
 * @category Shape
 */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): Shape {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes must broadcast, got a ${fmt(a)} and b ${fmt(b)}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of the (broadcast) shape `outShape`, the offset of the element of a contiguous tensor
 * of shape `inShape` that broadcasting maps onto it. Used in both directions: to read a broadcast
 * operand, and to sum a gradient back into a smaller shape.
 * @internal
 */
export function broadcastIndex(outShape: Shape, inShape: Shape): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Stride 0 on broadcast dimensions, aligned from the right.
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const j = rank - inShape.length + i;
    strides[j] = inShape[i] === 1 ? 0 : inStrides[i]!;
  }
  return stridedIndex(outShape, strides);
}

/**
 * For each element of `shape` in row-major order, the offset `Σ index[d]·strides[d]` into a flat
 * array: the one odometer walk behind broadcasting (stride 0 on repeated axes) and permuting axes
 * (permuted strides).
 * @internal
 */
export function stridedIndex(shape: Shape, strides: readonly number[]): Int32Array {
  const n = sizeOf(shape);
  const idx = new Int32Array(n);
  const rank = shape.length;
  if (rank === 0 || n === 0) return idx;
  const counter = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const lastDim = shape[last]!;
  const lastStride = strides[last]!;
  let base = 0;
  for (let i = 0; i < n; ) {
    for (let j = 0; j < lastDim; j++) idx[i++] = base + j * lastStride;
    // Advance the odometer over the outer dimensions.
    let d = last - 1;
    while (d >= 0) {
      counter[d]!++;
      base += strides[d]!;
      if (counter[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      counter[d] = 0;
      d--;
    }
  }
  return idx;
}

/**
 * Normalizes an axis argument against a rank: negative axes count from the end; `undefined` means every
 * axis. Sorted, without duplicates.
 * @throws {@link ShapeError} when an axis is out of range or repeated.
 * @internal
 */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, shape: Shape): number[] {
  const rank = shape.length;
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const out: number[] = [];
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1) || (rank === 0 && a !== 0 && a !== -1)) {
      throw new ShapeError(`${op}: axis must be an integer in [${-rank}, ${rank - 1}], got axis ${a} for shape ${fmt(shape)}`);
    }
    const n = a < 0 ? a + rank : a;
    if (out.includes(n)) throw new ShapeError(`${op}: axes must not repeat, got axes [${list.join(', ')}] for shape ${fmt(shape)}`);
    out.push(n);
  }
  return rank === 0 ? [] : out.sort((x, y) => x - y);
}

/** Normalizes one axis (negative counts from the end). @internal */
export function normalizeAxis(op: string, axis: number, rank: number, shape: Shape): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`${op}: axis must be an integer in [${-rank}, ${rank - 1}], got axis ${axis} for shape ${fmt(shape)}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** The shape left after reducing `axes`, keeping them as 1 when `keepdims`. @internal */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/** Checks a non-negative integer count. @internal */
export function checkCount(op: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`${op}: ${name} must be a non-negative integer, got ${n}`);
}

