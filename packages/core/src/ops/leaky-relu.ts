// leakyRelu: a rectifier with a small slope below 0.
import { ArgumentError } from '../base/errors.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { gt } from './gt.ts';
import { mul } from './mul.ts';
import { where } from './where.ts';

/** Options of {@link leakyRelu}. @category Elementwise */
export interface LeakyReluOptions {
  /** The slope for x < 0 (default 0.01, as PyTorch). */
  readonly negativeSlope?: number;
}

interface LeakyReluAttrs {
  readonly slope: number;
}

const op = defineOp<LeakyReluAttrs>({
  name: 'leakyRelu',
  // Subgradient at x = 0: the slope, as PyTorch (its rule tests x > 0).
  rule: 'y = x > 0 ? x : s·x, dy/dx = [x > 0] + s·[x ≤ 0] ⇒ dx = where(x > 0, dy, s·dy)',
  backward: ({ inputs: [x], dy, attrs: { slope } }) => [where(gt(x!, 0), dy, mul(dy, slope))],
  replay: ([x], { slope }) => leakyRelu(x!, { negativeSlope: slope }),
});

/**
 * Elementwise leaky rectifier: `y = x` for x > 0, `y = s·x` otherwise (s = `negativeSlope`).
 * @param x The tensor.
 * @param opts `negativeSlope` (default 0.01).
 * @returns The result, elementwise, in x's shape.
 * @throws {@link ArgumentError} when `negativeSlope` is not a finite number.
 * @example
 * ```ts
 * import { leakyRelu, tensor } from '@tapegrad/core';
 * console.log(leakyRelu(tensor([-2, 3]), { negativeSlope: 0.1 }).toArray()); // [-0.2, 3]
 * ```
 * @category Elementwise
 */
export function leakyRelu(x: Tensor, opts: LeakyReluOptions = {}): Tensor {
  asTensor('leakyRelu', 'x', x);
  const slope = opts.negativeSlope ?? 0.01;
  if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new ArgumentError(`leakyRelu: negativeSlope must be a finite number, got ${slope}`);
  const xd = x.data;
  const out = alloc(x.dtype, xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = xd[i]! > 0 ? xd[i]! : slope * xd[i]!;
  return record(op, [x], Tensor.fromData(out, x.shape, x.dtype), { slope });
}
