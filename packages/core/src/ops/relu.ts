// relu: y = max(x, 0) (subgradient 0 at 0), and its raw backward.
import { defineUnary, type UnaryFn } from './define.ts';
import { gt } from './gt.ts';

/**
 * Elementwise rectifier: `y = max(x, 0)`. At x = 0 the subgradient 0 is used (as PyTorch and JAX).
 * NaN propagates (`relu(NaN)` is NaN, as `maximum(NaN, 0)` and PyTorch); the gradient there is 0.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { relu, tensor } from '@tapegrad/core';
 * console.log(relu(tensor([-1, 2])).toArray()); // [0, 2]
 * ```
 * @category Elementwise
 */
export const relu: UnaryFn = defineUnary({
  name: 'relu',
  // `x <= 0 ? 0 : x`, not `x > 0 ? x : 0`: NaN fails both comparisons and must come out as NaN.
  forward: (x) => (x <= 0 ? 0 : x),
  rule: 'y = max(x, 0), dy/dx = [x > 0] (subgradient 0 at x = 0, as PyTorch; relu(NaN) = NaN) ⇒ dx = dy·[x > 0]',
  derivative: (x) => gt(x, 0),
  // Both loops multiply by the 0/1 sign test instead of branching on it: activations are positive about
  // half the time at random, so a branch mispredicts often. On [512, 256] (W6's hidden layer) that is
  // 3–4× faster (float32 forward 1.2–1.6 ms → 0.2–0.4 ms, backward 1.4 → 0.5 ms, median of 31, load 10).
  // The fix-ups keep the branching results: x·0 is NaN for x = −∞ (→ 0) and −0 for x < 0 (+0 added), and
  // dy·0 is NaN for an infinite or NaN dy where x ≤ 0 (→ 0); both tests are almost never taken.
  kernel: (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const r = v * +(v > 0) + 0;
      y[i] = r === r || !(v < 0) ? r : 0;
    }
  },
  // Raw loop kept: the branching loop this replaced measured 0.50 ms vs 0.84 differentiable at 256×256 (1.53×), 0.22 vs 0.38
  // at 512×64 (1.70×), medians of 3 runs of scripts/raw-backward-bench.ts, float64, load 7–18; this loop 0.084 vs 0.41 at 512×64 (4.9×, load 14).
  rawBackward: (x, _y, dy, dx) => {
    for (let i = 0; i < x.length; i++) {
      const p = +(x[i]! > 0);
      const r = dy[i]! * p;
      dx[i] = r === r || p === 1 ? r : 0;
    }
  },
});
