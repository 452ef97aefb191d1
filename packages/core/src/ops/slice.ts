// slice: the range start ≤ i < end along an axis (its derivative is concat).
import { ArgumentError } from '../base/errors.ts';
import { normalizeAxis } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { zeros } from '../graph/creation.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { concat } from './concat.ts';

interface SliceAttrs {
  readonly axis: number;
  readonly start: number;
  readonly end: number;
}

const op = defineOp<SliceAttrs>({
  name: 'slice',
  rule: 'y = x[start:end] along an axis, each yⱼ is one xᵢ ⇒ dx = dy padded with zeros before start and after end',
  backward: ({ inputs: [x], dy, attrs: { axis, start, end } }) => {
    const pad = (n: number): Tensor => zeros(x!.shape.map((d, i) => (i === axis ? n : d)), { dtype: dy.dtype });
    return [concat([pad(start), dy, pad(x!.shape[axis]! - end)], axis)];
  },
});

/**
 * The range `start ≤ i < end` of `x` along `axis`, as Python's `x[start:end]`: negative indices count
 * from the end, and indices past either end are clamped (so the range may be empty).
 * @param x The tensor (at least 1-D).
 * @param axis The axis to slice (negative counts from the end).
 * @param start The first index kept.
 * @param end One past the last index kept (default: the axis length).
 * @returns The slice (a copy), with the axis shortened to `end − start`.
 * @throws {@link ShapeError} for an axis out of range.
 * @throws {@link ArgumentError} when start or end is not an integer.
 * @example
 * ```ts
 * import { slice, tensor } from '@tapegrad/core';
 * console.log(slice(tensor([[1, 2, 3], [4, 5, 6]]), 1, -2).toArray()); // [[2, 3], [5, 6]]
 * ```
 * @category Shape
 */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  asTensor('slice', 'x', x);
  const ax = normalizeAxis('slice', axis, x.rank, x.shape);
  if (!Number.isInteger(start)) throw new ArgumentError(`slice: start must be an integer, got ${start}`);
  if (end !== undefined && !Number.isInteger(end)) throw new ArgumentError(`slice: end must be an integer, got ${end}`);
  const n = x.shape[ax]!;
  const clampIndex = (i: number): number => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end ?? n));
  let inner = 1;
  for (let d = ax + 1; d < x.rank; d++) inner *= x.shape[d]!;
  const outer = n * inner === 0 ? 0 : x.size / (n * inner);
  const out = alloc(x.dtype, outer * (e - s) * inner);
  for (let o = 0; o < outer; o++) out.set(x.data.subarray((o * n + s) * inner, (o * n + e) * inner), o * (e - s) * inner);
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  return record(op, [x], Tensor.fromData(out, shape, x.dtype), { axis: ax, start: s, end: e });
}
