// clamp: y = min(max(x, lo), hi), either bound optional.
import { ArgumentError } from '../base/errors.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { ge } from './ge.ts';
import { le } from './le.ts';
import { mul } from './mul.ts';
import { where } from './where.ts';

interface ClampAttrs {
  readonly lo: number;
  readonly hi: number;
}

const op = defineOp<ClampAttrs>({
  name: 'clamp',
  rule: 'y = min(max(x, lo), hi), dy/dx = [lo ≤ x ≤ hi] (1 at the bounds, as PyTorch) ⇒ dx = where(lo ≤ x ≤ hi, dy, 0)',
  backward: ({ inputs: [x], dy, attrs: { lo, hi } }) => [where(mul(ge(x!, lo), le(x!, hi)), dy, 0)],
  replay: ([x], { lo, hi }) => clamp(x!, lo, hi),
});

/**
 * Elementwise clamp into `[min, max]`: `y = min(max(x, min), max)`. Either bound may be left out, not
 * both. The gradient passes where `min ≤ x ≤ max` (bounds included, as PyTorch) and is 0 elsewhere.
 * @param x The tensor.
 * @param min The lower bound (none when undefined).
 * @param max The upper bound (none when undefined).
 * @returns The clamped tensor, in x's shape (NaN stays NaN).
 * @throws {@link ArgumentError} when both bounds are missing, a bound is NaN, or `min > max`.
 * @example
 * ```ts
 * import { clamp, tensor } from '@tapegrad/core';
 * console.log(clamp(tensor([-2, 0.5, 3]), 0, 1).toArray()); // [0, 0.5, 1]
 * ```
 * @category Elementwise
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  asTensor('clamp', 'x', x);
  if (min === undefined && max === undefined) throw new ArgumentError('clamp: at least one of min and max must be given, got neither');
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new ArgumentError(`clamp: ${name} must be a number, got ${String(v)}`);
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (lo > hi) throw new ArgumentError(`clamp: min must not exceed max, got min ${lo} and max ${hi}`);
  const xd = x.data;
  const out = alloc(x.dtype, xd.length);
  for (let i = 0; i < out.length; i++) {
    const v = xd[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return record(op, [x], Tensor.fromData(out, x.shape, x.dtype), { lo, hi });
}
