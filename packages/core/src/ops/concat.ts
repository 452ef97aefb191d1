// concat: joins tensors along an existing axis (its derivative is slice).
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import type { DType, FloatArray } from '../base/dtype.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { slice } from './slice.ts';

interface ConcatAttrs {
  readonly axis: number;
}

const op = defineOp<ConcatAttrs>({
  name: 'concat',
  rule: 'y = [x₀, x₁, …] along an axis, each yⱼ is one xₖᵢ ⇒ dxₖ = the slice of dy where xₖ was placed',
  backward: ({ inputs, dy, attrs: { axis } }) => {
    let start = 0;
    return inputs.map((x) => {
      const end = start + x.shape[axis]!;
      const dx = x.requiresGrad ? slice(dy, axis, start, end) : null;
      start = end;
      return dx;
    });
  },
});

/** Lays the blocks of each input side by side: `outer` rows of `counts[k]` elements from input k. @internal */
export function concatData(datas: readonly FloatArray[], counts: readonly number[], outer: number, dtype: DType): FloatArray {
  const row = counts.reduce((s, c) => s + c, 0);
  const out = alloc(dtype, outer * row, 'concat');
  for (let o = 0, at = 0; o < outer; o++) {
    for (let k = 0; k < datas.length; k++) {
      const c = counts[k]!;
      out.set(datas[k]!.subarray(o * c, o * c + c), at);
      at += c;
    }
  }
  return out;
}

/** Checks a non-empty list of tensors of one dtype. @internal */
export function checkTensorList(name: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError(`${name}: tensors must be a non-empty array of tensors, got ${Array.isArray(tensors) ? 'an empty array' : typeof tensors}`);
  tensors.forEach((t, k) => asTensor(name, `tensors[${k}]`, t));
  const bad = tensors.findIndex((t) => t.dtype !== tensors[0]!.dtype);
  if (bad > 0) throw new DTypeError(`${name}: tensors must have the same dtype, got tensors[0] ${tensors[0]!.dtype} and tensors[${bad}] ${tensors[bad]!.dtype}`);
}

/**
 * Joins tensors along an existing axis: `y = [x₀, x₁, …]`. All other dimensions must agree.
 * @param tensors The tensors, at least one, all of the same rank (≥ 1) and dtype.
 * @param axis The axis to join along (default 0; negative counts from the end).
 * @returns The joined tensor.
 * @throws {@link ShapeError} when ranks or the other dimensions differ, or the axis is out of range.
 * @throws {@link DTypeError} when dtypes differ.
 * @example
 * ```ts
 * import { concat, tensor } from '@tapegrad/core';
 * console.log(concat([tensor([[1], [2]]), tensor([[3], [4]])], 1).toArray()); // [[1, 3], [2, 4]]
 * ```
 * @category Shape
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('concat', tensors);
  const first = tensors[0]!;
  if (first.rank === 0) throw new ShapeError(`concat: tensors must have at least 1 dimension, got tensors[0] ${fmt(first.shape)}`);
  const ax = normalizeAxis('concat', axis, first.rank, first.shape);
  tensors.forEach((t, k) => {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: tensors must have the same shape except along axis ${ax}, got tensors[0] ${fmt(first.shape)} and tensors[${k}] ${fmt(t.shape)}`);
    }
  });
  const outer = first.shape.slice(0, ax).reduce((n, d) => n * d, 1);
  const inner = first.shape.slice(ax + 1).reduce((n, d) => n * d, 1);
  const shape = first.shape.slice();
  shape[ax] = tensors.reduce((n, t) => n + t.shape[ax]!, 0);
  const data = concatData(tensors.map((t) => t.data), tensors.map((t) => t.shape[ax]! * inner), outer, first.dtype);
  return record(op, tensors, Tensor.fromData(data, shape, first.dtype), { axis: ax });
}
