// gradgradcheck: gradcheck of the backward pass itself (second derivatives).
import { computeGrads } from '../autograd/engine.ts';
import { ArgumentError, GradCheckError } from '../base/errors.ts';
import { releaseNodesFrom } from './functional.ts';
import { DEFAULT_ATOL, DEFAULT_RTOL, gradcheck, type GradCheckOptions, type GradCheckReport } from './gradcheck.ts';
import { add } from '../ops/add.ts';
import { mul } from '../ops/mul.ts';
import { sum } from '../ops/sum.ts';
import { Rng } from '../base/random.ts';
import { enableGrad, noGrad, state, withFrame } from '../graph/tape.ts';
import { Tensor } from '../graph/tensor.ts';
import { tensor } from '../graph/creation.ts';

function randomLike(rng: Rng, x: { readonly shape: readonly number[]; readonly size: number }): Tensor {
  return new Tensor(Float64Array.from({ length: x.size }, () => rng.normal()), x.shape, 'float64');
}

/**
 * Checks second derivatives: the gradient of the gradient against central finite differences of the
 * (first-order) gradient, in float64, as PyTorch's `gradgradcheck`.
 *
 * With seeded random `u` (a cotangent of f's output) and `wₖ` (one per input) it checks
 * `F(x, u) = Σₖ ⟨∂⟨u, f(x)⟩/∂xₖ, wₖ⟩`: its gradient with respect to each input xₖ, computed by
 * differentiating the recorded backward pass (`createGraph`), and with respect to u (input index n),
 * against `(F(x + εeⱼ) − F(x − εeⱼ)) / 2ε` where F is evaluated with the ordinary backward pass.
 * Ops whose second derivative vanishes almost everywhere (relu, abs, sign) pass away from their kinks.
 * @param f The tensor function to check.
 * @param inputs The point to check at (cast to float64).
 * @param opts Tolerances, step and seed (as {@link gradcheck}), and `raise` to throw on failure.
 * @returns A report naming the worst element; input index `inputs.length` is the cotangent u.
 * @throws {@link GradCheckError} when `raise` is set and the check fails.
 * @throws {@link ArgumentError} when an input is not a tensor.
 * @example
 * ```ts
 * import { gradgradcheck, tensor } from '@tapegrad/core';
 * console.log(gradgradcheck((x) => x.tanh(), [tensor([0.3, -1.1])]).ok); // true
 * ```
 * @category Autograd
 */
export function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradCheckOptions = {}): GradCheckReport {
  inputs.forEach((x, k) => {
    if (!(x instanceof Tensor)) throw new ArgumentError(`gradgradcheck: input ${k} must be a Tensor, got ${typeof x}`);
  });
  const name = opts.name ?? (f.name || 'f');
  const n = inputs.length;
  const xs = inputs.map((x) => new Tensor(Float64Array.from(x.data), x.shape, 'float64'));
  const rng = new Rng((opts.seed ?? 7) + 1);
  const y0 = noGrad(() => f(...xs));
  if (!(y0 instanceof Tensor)) throw new ArgumentError('gradgradcheck: f must return a Tensor');
  const u = randomLike(rng, y0);
  const ws = xs.map((x) => randomLike(rng, x));
  const entry = state.nextId;
  // F(x, u) = Σₖ ⟨∂⟨u, f(x)⟩/∂xₖ, wₖ⟩: differentiable when gradcheck passes leaves, a constant in its probes.
  const firstOrder = (...args: Tensor[]): Tensor =>
    enableGrad(() => {
      const local = state.nextId;
      const isAnalytic = args.some((a) => a.requiresGrad);
      const leaves = args.slice(0, n).map((x) => (x.requiresGrad ? x : new Tensor(x.data, x.shape, x.dtype, true)));
      const y = f(...leaves);
      let total: Tensor = tensor(0);
      if (y.requiresGrad) {
        const gs = computeGrads([y], [args[n]!], { inputs: leaves, createGraph: isAnalytic, retainGraph: true });
        gs.forEach((g, k) => {
          if (g !== null) total = add(total, sum(mul(g, ws[k]!)));
        });
      }
      if (!isAnalytic) releaseNodesFrom(local);
      return total;
    });
  const report: GradCheckReport = withFrame(false, () => {
    try {
      return gradcheck(firstOrder, [...xs, u], { ...opts, raise: false, name });
    } finally {
      releaseNodesFrom(entry);
    }
  });
  const w = report.worst;
  const atol = opts.atol ?? DEFAULT_ATOL;
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const message =
    w === undefined
      ? `gradgradcheck of ${name}: nothing to check`
      : `gradgradcheck of ${name}: ${report.ok ? 'passed' : 'failed'}; worst at input ${w.input}${w.input === n ? ' (the cotangent u)' : ''}, ` +
        `element ${w.index}: analytic ${w.analytic}, numeric ${w.numeric}, error ${w.absError.toExponential(3)} ` +
        `(allowed ${(atol + rtol * Math.abs(w.numeric)).toExponential(3)})`;
  if (!report.ok && opts.raise) throw new GradCheckError(message);
  return { ...report, message };
}
