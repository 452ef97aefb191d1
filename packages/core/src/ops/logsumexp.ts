// logsumexp: ln Σ eˣ over axes, shifted by the max so it never overflows.
import { broadcastIndex, normalizeAxes, reducedShape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { asTensor, defineOp, record, symbolicIn } from './define.ts';
import { exp } from './exp.ts';
import { extremumKernel } from './max.ts';
import { mul } from './mul.ts';
import { reshape } from './reshape.ts';
import { sub } from './sub.ts';

interface LogsumexpAttrs {
  readonly kept: readonly number[];
}

const op = defineOp<LogsumexpAttrs>({
  name: 'logsumexp',
  rule: 'y = ln Σᵢ e^{xᵢ}, ∂y/∂xᵢ = e^{xᵢ}/Σⱼ e^{xⱼ} = e^{xᵢ − y} = softmax(x)ᵢ ⇒ dx = dy·e^{x − y} (reuses the output)',
  backward: ({ inputs: [x], output: y, dy, attrs: { kept } }) => [mul(reshape(dy, kept), exp(sub(x!, reshape(y, kept))))],
  replay: ([x], { kept }, shape) => Tensor.fromData(logsumexp(x!, kept.flatMap((d, i) => (d === 1 ? [i] : [])), true).data, shape, x!.dtype),
});

/**
 * Log of the sum of exponentials over `axis` (all axes when absent): `y = ln Σᵢ e^{xᵢ}`, computed as
 * `m + ln Σᵢ e^{xᵢ − m}` with `m = max x`, so no exponential overflows (logits of 1000 are fine).
 * @param x The tensor.
 * @param axis An axis or a list of axes; negative axes count from the end.
 * @param keepdims Keep the reduced axes as size 1.
 * @returns The log-sum-exps.
 * @throws {@link ShapeError} for an axis out of range or repeated.
 * @example
 * ```ts
 * import { logsumexp, tensor } from '@tapegrad/core';
 * console.log(logsumexp(tensor([1000, 1000])).item()); // 1000.6931471805599
 * ```
 * @category Reduction
 */
export function logsumexp(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  if (symbolicIn(x) !== null) return symbolicIn(x)!.apply(op, logsumexp, [x], [axis, keepdims]) as Tensor;
  asTensor('logsumexp', 'x', x);
  const axes = normalizeAxes('logsumexp', axis, x.shape);
  const kept = reducedShape(x.shape, axes, true);
  const m = extremumKernel(x, kept, true);
  // An infinite (or empty, −∞) maximum is not subtracted: ∞ − ∞ would turn the sum into NaN.
  for (let j = 0; j < m.length; j++) if (!Number.isFinite(m[j]!)) m[j] = 0;
  const s = new Float64Array(m.length);
  const xd = x.data;
  const idx = broadcastIndex(x.shape, kept);
  for (let i = 0; i < xd.length; i++) {
    const j = idx[i]!;
    s[j] = s[j]! + Math.exp(xd[i]! - m[j]!);
  }
  for (let j = 0; j < m.length; j++) m[j] = m[j]! + Math.log(s[j]!);
  return record(op, [x], Tensor.fromData(m, reducedShape(x.shape, axes, keepdims), x.dtype), { kept });
}
