// cumsum: running sums along an axis.
import { ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { flip } from './flip.ts';

interface CumsumAttrs {
  readonly axis: number;
}

const op = defineOp<CumsumAttrs>({
  name: 'cumsum',
  rule: 'yᵢ = Σ_{j ≤ i} xⱼ along the axis, ∂yᵢ/∂xⱼ = [j ≤ i] ⇒ dxⱼ = Σ_{i ≥ j} dyᵢ = flip(cumsum(flip(dy)))',
  backward: ({ dy, attrs: { axis } }) => [flip(cumsum(flip(dy, axis), axis), axis)],
  replay: ([x], { axis }) => cumsum(x!, axis),
});

/**
 * Cumulative sum along an axis: `yᵢ = Σ_{j ≤ i} xⱼ`, as PyTorch's `torch.cumsum`.
 * @param x The tensor (at least 1-D).
 * @param axis The axis to accumulate along (negative counts from the end).
 * @returns The running sums, in x's shape.
 * @throws {@link ShapeError} for a 0-d tensor or an axis out of range.
 * @example
 * ```ts
 * import { cumsum, tensor } from '@tapegrad/core';
 * console.log(cumsum(tensor([1, 2, 3]), 0).toArray()); // [1, 3, 6]
 * ```
 * @category Reduction
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  asTensor('cumsum', 'x', x);
  if (x.rank === 0) throw new ShapeError(`cumsum: x must have at least 1 dimension, got shape ${fmt(x.shape)}`);
  const ax = normalizeAxis('cumsum', axis, x.rank, x.shape);
  const n = x.shape[ax]!;
  let inner = 1;
  for (let d = ax + 1; d < x.rank; d++) inner *= x.shape[d]!;
  const outer = n * inner === 0 ? 0 : x.size / (n * inner);
  const xd = x.data;
  const out = alloc(x.dtype, xd.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const j = (o * n + k) * inner + i;
        s += xd[j]!;
        out[j] = s;
      }
    }
  }
  return record(op, [x], Tensor.fromData(out, x.shape, x.dtype), { axis: ax });
}
