// transpose: permutes axes (default: swaps the last two).
import { ShapeError } from '../base/errors.ts';
import { stridedIndex, stridesOf } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record, symbolicIn } from './define.ts';

interface TransposeAttrs {
  readonly perm: readonly number[];
}

const op = defineOp<TransposeAttrs>({
  name: 'transpose',
  rule: 'y = x with axes permuted by p, yᵢ = x_{p⁻¹(i)} ⇒ dx = dy permuted by p⁻¹',
  backward: ({ dy, attrs }) => {
    const inverse = new Array<number>(attrs.perm.length);
    attrs.perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(dy, inverse)];
  },
});

/**
 * Permutes the axes: output axis i is input axis `axes[i]`. Without `axes`, swaps the last two
 * (a matrix transpose; a no-op for rank < 2).
 * @param x The tensor.
 * @param axes A permutation of `0 … rank−1` (negative axes allowed).
 * @returns The permuted tensor (a copy).
 * @throws {@link ShapeError} when `axes` is not a permutation.
 * @example
 * ```ts
 * import { tensor, transpose } from '@tapegrad/core';
 * console.log(transpose(tensor([[1, 2, 3]])).toArray()); // [[1], [2], [3]]
 * ```
 * @category Shape
 */
export function transpose(x: Tensor, axes?: readonly number[]): Tensor {
  if (symbolicIn(x) !== null) return symbolicIn(x)!.apply(op, transpose, [x], [axes]) as Tensor;
  asTensor('transpose', 'x', x);
  const rank = x.rank;
  let perm: number[];
  if (axes === undefined) {
    perm = Array.from({ length: rank }, (_, i) => i);
    if (rank >= 2) [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  } else {
    perm = axes.map((a) => (a < 0 ? a + rank : a));
    const ok = perm.length === rank && perm.every((a, i) => Number.isInteger(a) && a >= 0 && a < rank && perm.indexOf(a) === i);
    if (!ok) throw new ShapeError(`transpose: axes must be a permutation of the ${rank} axes, got axes [${axes.join(', ')}] for shape [${x.shape.join(', ')}]`);
  }
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((p) => inStrides[p]!);
  // Output element i reads the input at the permuted-stride offset of its index.
  const idx = stridedIndex(shape, strides);
  const out = alloc(x.dtype, x.size);
  const xd = x.data;
  for (let i = 0; i < out.length; i++) out[i] = xd[idx[i]!]!;
  return record(op, [x], Tensor.fromData(out, shape, x.dtype), { perm });
}
