// elu: the exponential linear unit.
import { ArgumentError } from '../base/errors.ts';
import { Tensor } from '../graph/tensor.ts';
import { add } from './add.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { gt } from './gt.ts';
import { mul } from './mul.ts';
import { where } from './where.ts';

/** Options of {@link elu}. @category Elementwise */
export interface EluOptions {
  /** The scale α of the negative branch (default 1). */
  readonly alpha?: number;
}

interface EluAttrs {
  readonly alpha: number;
}

const op = defineOp<EluAttrs>({
  name: 'elu',
  // For x ≤ 0, α·eˣ = y + α reuses the output; at x = 0 the negative branch's α is used, as PyTorch.
  rule: 'y = x > 0 ? x : α(eˣ − 1), dy/dx = [x > 0] + [x ≤ 0]·α·eˣ = [x > 0] + [x ≤ 0]·(y + α) ⇒ dx = where(x > 0, dy, dy·(y + α))',
  backward: ({ inputs: [x], output: y, dy, attrs: { alpha } }) => [where(gt(x!, 0), dy, mul(dy, add(y, alpha)))],
  replay: ([x], { alpha }) => elu(x!, { alpha }),
});

/**
 * Elementwise exponential linear unit: `y = x` for x > 0, `y = α(eˣ − 1)` otherwise.
 * @param x The tensor.
 * @param opts `alpha` (default 1).
 * @returns The result, elementwise, in x's shape.
 * @throws {@link ArgumentError} when `alpha` is not a finite number.
 * @example
 * ```ts
 * import { elu, tensor } from '@tapegrad/core';
 * console.log(elu(tensor([0, 2])).toArray()); // [0, 2]
 * ```
 * @category Elementwise
 */
export function elu(x: Tensor, opts: EluOptions = {}): Tensor {
  asTensor('elu', 'x', x);
  const alpha = opts.alpha ?? 1;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new ArgumentError(`elu: alpha must be a finite number, got ${alpha}`);
  const xd = x.data;
  const out = alloc(x.dtype, xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = xd[i]! > 0 ? xd[i]! : alpha * Math.expm1(xd[i]!);
  return record(op, [x], Tensor.fromData(out, x.shape, x.dtype), { alpha });
}
