import { DEFAULT_ATOL, DEFAULT_EPS, DEFAULT_RTOL, mutate, noGrad, type Tensor } from '@tapegrad/core';
import { fastGrad } from './fast-path.ts';
import type { MLP } from './mlp.ts';

/**
 * The one agreement policy between a hand-derived gradient and the engine's: at most this far apart
 * (relative for the fast path against autograd, absolute for the one-neuron formula `ŷ − t`). Both sides
 * compute the same exact formula in float64, so they may differ only by rounding.
 * @example
 * ```ts
 * import { AGREEMENT_TOLERANCE } from '@tapegrad/nn';
 * console.log(AGREEMENT_TOLERANCE); // 1e-12
 * ```
 * @category nn
 */
export const AGREEMENT_TOLERANCE = 1e-12;

/** How far one gradient is from a reference. @category nn */
export interface Difference {
  /** `max |a − b|` over the tensor's elements. */
  readonly maxAbs: number;
  /** `max |a − b| / max |b|` (0 when both are all zero). */
  readonly relative: number;
}

/** The three-way comparison for one parameter tensor. @category nn */
export interface ParameterAgreement {
  /** The parameter's name (`l1.weight`, …). */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Fast path against autograd (reference). */
  readonly fastVsAutograd: Difference;
  /** Autograd against central finite differences (reference); null when `numeric` is off. */
  readonly autogradVsNumeric: Difference | null;
  /** Fast path against central finite differences (reference); null when `numeric` is off. */
  readonly fastVsNumeric: Difference | null;
  /** Every autograd element within gradcheck tolerance (`|a − n| ≤ atol + rtol·|n|`) of the numeric one. */
  readonly isAutogradWithinTolerance: boolean;
  /** Every fast-path element within gradcheck tolerance of the numeric one. */
  readonly isFastWithinTolerance: boolean;
}

/** What {@link compareGradients} found: per parameter, and the largest relative figure over all. @category nn */
export interface GradientAgreement {
  /** The loss at the compared point. */
  readonly loss: number;
  /** One entry per parameter tensor. */
  readonly parameters: readonly ParameterAgreement[];
  /** Largest `relative` of fast path vs autograd over all tensors. */
  readonly fastVsAutograd: number;
  /** Largest `relative` of autograd vs finite differences (NaN when `numeric` is off). */
  readonly autogradVsNumeric: number;
  /** Largest `relative` of fast path vs finite differences (NaN when `numeric` is off). */
  readonly fastVsNumeric: number;
  /** Both analytic gradients within gradcheck tolerance of the numeric one everywhere. */
  readonly isWithinTolerance: boolean;
}

/** Options of {@link compareGradients}. @category nn */
export interface CompareOptions {
  /** Also compute central finite differences (default true; costs two forward passes per parameter element). */
  readonly numeric?: boolean;
  /** Finite-difference step (default 1e-6, as gradcheck). */
  readonly eps?: number;
  /** Absolute tolerance (default 1e-5, as gradcheck). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-3, as gradcheck). */
  readonly rtol?: number;
}

function difference(a: ArrayLike<number>, b: ArrayLike<number>): Difference {
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (Number.isNaN(maxAbs)) return { maxAbs: NaN, relative: NaN };
  return { maxAbs, relative: maxAbs === 0 ? 0 : maxAbs / scale };
}

function withinTolerance(a: ArrayLike<number>, n: ArrayLike<number>, atol: number, rtol: number): boolean {
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - n[i]!) <= atol + rtol * Math.abs(n[i]!))) return false;
  return true;
}

/**
 * Computes the gradient of the model's loss on `(X, T)` three ways and compares them per parameter:
 * the hand-derived fast path ({@link fastStep}), the generic engine (`model.loss(X, T).backward()`),
 * and central finite differences of the loss (evaluated with the generic forward under `noGrad`).
 * Relative figures are `max|a − b| / max|b|` per tensor, the second gradient being the reference.
 * The parameters' `.grad` are left as they were.
 * @param model The network.
 * @param X Input `[m, n_0]`.
 * @param T Targets, as {@link MLP.loss} takes them.
 * @param opts `numeric`, `eps`, `atol`, `rtol`.
 * @returns The comparison.
 * @example
 * ```ts
 * import { randn, tensor } from '@tapegrad/core';
 * import { compareGradients, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [3, 4, 1], activation: 'tanh', seed: 1 });
 * const r = compareGradients(net, randn([5, 3], { seed: 2 }), tensor([0, 1, 1, 0, 1]));
 * console.log(r.fastVsAutograd < 1e-12, r.isWithinTolerance); // true true
 * ```
 * @category nn
 */
export function compareGradients(model: MLP, X: Tensor, T: Tensor, opts: CompareOptions = {}): GradientAgreement {
  const params = model.namedParameters();
  const saved = params.map(([, p]) => p.grad);
  const copy = (): Float64Array[] => params.map(([, p]) => Float64Array.from(p.grad?.data ?? new Float64Array(p.size)));
  try {
    model.zeroGrad();
    const loss = model.loss(X, T);
    loss.backward();
    const autograd = copy();
    model.zeroGrad();
    fastGrad(model, X, T);
    const fast = copy();
    const numeric = opts.numeric === false ? null : finiteDifferences(model, X, T, opts.eps ?? DEFAULT_EPS);
    const atol = opts.atol ?? DEFAULT_ATOL;
    const rtol = opts.rtol ?? DEFAULT_RTOL;
    const parameters = params.map(([name, p], i): ParameterAgreement => ({
      name,
      shape: [...p.shape],
      fastVsAutograd: difference(fast[i]!, autograd[i]!),
      autogradVsNumeric: numeric === null ? null : difference(autograd[i]!, numeric[i]!),
      fastVsNumeric: numeric === null ? null : difference(fast[i]!, numeric[i]!),
      isAutogradWithinTolerance: numeric === null || withinTolerance(autograd[i]!, numeric[i]!, atol, rtol),
      isFastWithinTolerance: numeric === null || withinTolerance(fast[i]!, numeric[i]!, atol, rtol),
    }));
    const worst = (f: (p: ParameterAgreement) => Difference | null): number =>
      parameters.reduce((w, p) => { const d = f(p); return d === null ? NaN : Math.max(w, d.relative); }, 0);
    return {
      loss: loss.item(),
      parameters,
      fastVsAutograd: worst((p) => p.fastVsAutograd),
      autogradVsNumeric: worst((p) => p.autogradVsNumeric),
      fastVsNumeric: worst((p) => p.fastVsNumeric),
      isWithinTolerance: parameters.every((p) => p.isAutogradWithinTolerance && p.isFastWithinTolerance),
    };
  } finally {
    params.forEach(([, p], i) => { p.grad = saved[i]!; });
  }
}

/** ∂L/∂w for every parameter element by central differences, `(L(w + ε) − L(w − ε)) / 2ε`. */
function finiteDifferences(model: MLP, X: Tensor, T: Tensor, eps: number): Float64Array[] {
  return noGrad(() => {
    const lossAt = (): number => model.loss(X, T).item();
    return model.parameters().map((p) => {
      const g = new Float64Array(p.size);
      // Through mutate: the values are restored exactly, but a graph recorded before this must not trust them blindly.
      mutate(p, (d) => {
        for (let j = 0; j < d.length; j++) {
          const w = d[j]!;
          d[j] = w + eps;
          const up = lossAt();
          d[j] = w - eps;
          const down = lossAt();
          d[j] = w;
          g[j] = (up - down) / (2 * eps);
        }
      });
      return g;
    });
  });
}
