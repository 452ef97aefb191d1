// sum: Σ x over axes, with its reduction kernel.
import { asTensor, defineOp, record, symbolicIn } from './define.ts';
import { alloc } from './define.ts';
import { planBinary, sumBackLoop } from '../kernels/elementwise.ts';
import { broadcastIndex, normalizeAxes, reducedShape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import type { FloatArray } from '../base/dtype.ts';
import { broadcastTo } from './broadcast-to.ts';
import { reshape } from './reshape.ts';

interface SumAttrs {
  readonly kept: readonly number[];
}

const op = defineOp<SumAttrs>({
  name: 'sum',
  rule: 'y = Σᵢ xᵢ over the axes, ∂y/∂xᵢ = 1 ⇒ dx = dy broadcast back over the summed axes',
  // No raw form: a hand broadcast loop measured differentiable/raw 1.01–1.16 at 256×256 and 512×64, scripts/raw-backward-bench.ts.
  backward: ({ inputs: [x], dy, attrs }) => [broadcastTo(reshape(dy, attrs.kept), x!.shape)],
});

/**
 * Sum over `axis` (all axes when absent): `y = Σᵢ xᵢ`.
 * @param x The tensor.
 * @param axis An axis or a list of axes; negative axes count from the end.
 * @param keepdims Keep the reduced axes as size 1.
 * @returns The sums.
 * @throws {@link ShapeError} for an axis out of range or repeated.
 * @example
 * ```ts
 * import { sum, tensor } from '@tapegrad/core';
 * console.log(sum(tensor([[1, 2], [3, 4]]), 0).toArray()); // [4, 6]
 * ```
 * @category Reduction
 */
export function sum(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  if (symbolicIn(x) !== null) return symbolicIn(x)!.apply(op, sum, [x], [axis, keepdims]) as Tensor;
  asTensor('sum', 'x', x);
  const axes = normalizeAxes('sum', axis, x.shape);
  const kept = reducedShape(x.shape, axes, true);
  const shape = reducedShape(x.shape, axes, keepdims);
  return record(op, [x], Tensor.fromData(sumKernel(x, kept), shape, x.dtype), { kept });
}

/**
 * Sums `x` into the shape `kept` (x's shape with the reduced axes set to 1), into `out` when given
 * (compile's planned buffers; `acc` is float64 scratch for float32 sums).
 * @internal
 */
export function sumKernel(x: Tensor, kept: readonly number[], into?: FloatArray, scratch?: Float64Array): FloatArray {
  const xd = x.data;
  let n = 1;
  for (const d of kept) n *= d;
  const out = into ?? alloc(x.dtype, n);
  if (n === 1) {
    let s = 0;
    for (let i = 0; i < xd.length; i++) s += xd[i]!;
    out[0] = s;
    return out;
  }
  // Summing in float64 and rounding once keeps float32 sums accurate.
  const acc = x.dtype === 'float32' ? (scratch?.fill(0) ?? new Float64Array(n)) : into === undefined ? out : out.fill(0);
  const p = planBinary(x.shape, kept, []);
  if (p !== null) sumBackLoop(xd, acc, p);
  else {
    const idx = broadcastIndex(x.shape, kept);
    for (let i = 0; i < xd.length; i++) {
      const j = idx[i]!;
      acc[j] = acc[j]! + xd[i]!;
    }
  }
  if (acc !== out) out.set(acc);
  return out;
}
