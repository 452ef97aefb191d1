// gradcheck: compares backward with central finite differences, element by element.
import { computeGrads } from '../autograd/engine.ts';
import { ArgumentError, GradCheckError } from '../base/errors.ts';
import { Rng } from '../base/random.ts';
import { scalarBackward } from '../graph/scalar-tape.ts';
import { fmt } from '../base/shape.ts';
import { noGrad } from '../graph/tape.ts';
import { Tensor } from '../graph/tensor.ts';
import { Value } from '../graph/value.ts';

/** The defaults, as PyTorch's `gradcheck`: central differences in float64. @category Autograd */
export const DEFAULT_EPS = 1e-6;
/** Absolute tolerance of {@link gradcheck}. @category Autograd */
export const DEFAULT_ATOL = 1e-5;
/** Relative tolerance of {@link gradcheck}. @category Autograd */
export const DEFAULT_RTOL = 1e-3;

/** Options of {@link gradcheck}. @category Autograd */
export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Absolute tolerance (default 1e-5). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-3). */
  readonly rtol?: number;
  /** Seed of the random upstream gradient (default 7). */
  readonly seed?: number;
  /** Throw a {@link GradCheckError} describing the worst element when the check fails. */
  readonly raise?: boolean;
  /** A name for messages (default: the function's name). */
  readonly name?: string;
}

/** One compared element. @category Autograd */
export interface GradCheckElement {
  /** Which input (argument index). */
  readonly input: number;
  /** Flat element index within that input. */
  readonly index: number;
  /** The engine's gradient. */
  readonly analytic: number;
  /** The central-difference estimate. */
  readonly numeric: number;
  /** |analytic − numeric|. */
  readonly absError: number;
  /** absError / (atol + rtol·|numeric|): above 1 fails. */
  readonly ratio: number;
}

/** What {@link gradcheck} found. @category Autograd */
export interface GradCheckReport {
  /** True when every element is within tolerance. */
  readonly ok: boolean;
  /** The element with the largest error ratio (undefined when there are no elements). */
  readonly worst: GradCheckElement | undefined;
  /** How many elements were compared. */
  readonly checked: number;
  /** Readable summary. */
  readonly message: string;
}

/** A function of tensors to a tensor, as {@link gradcheck} and {@link gradgradcheck} check it. @category Autograd */
export type TensorFn = (...xs: Tensor[]) => Tensor;
/** A function of {@link Value}s to a value, as {@link gradcheck} checks it. @category Autograd */
export type ScalarFn = (...xs: Value[]) => Value;

/**
 * Checks a function's gradients against central finite differences, `(f(x + ε) − f(x − ε)) / 2ε`, in
 * float64. The output is contracted with a random seeded upstream gradient `u` (the check is on
 * `⟨u, f(x)⟩`), so a rule that ignores its upstream gradient fails.
 *
 * Works on tensor functions (inputs are tensors, cast to float64) and on scalar functions of
 * {@link Value}s (inputs are numbers).
 * @param f The function to check.
 * @param inputs The point to check at: tensors, or numbers for a `Value` function.
 * @param opts Tolerances, step, seed, and `raise` to throw on failure.
 * @returns A report naming the worst element (input, index, analytic, numeric).
 * @throws {@link GradCheckError} when `raise` is set and the check fails.
 * @example
 * ```ts
 * import { gradcheck, tensor } from '@tapegrad/core';
 * const report = gradcheck((x) => x.tanh().mul(x), [tensor([0.5, -1.2, 2])]);
 * console.log(report.ok); // true
 * ```
 * @category Autograd
 */
export function gradcheck(f: TensorFn, inputs: readonly Tensor[], opts?: GradCheckOptions): GradCheckReport;
export function gradcheck(f: ScalarFn, inputs: readonly number[], opts?: GradCheckOptions): GradCheckReport;
export function gradcheck(f: TensorFn | ScalarFn, inputs: readonly (Tensor | number)[], opts: GradCheckOptions = {}): GradCheckReport {
  const eps = opts.eps ?? DEFAULT_EPS;
  const atol = opts.atol ?? DEFAULT_ATOL;
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const name = opts.name ?? (f.name || 'f');
  const rng = new Rng(opts.seed ?? 7);
  const elements: GradCheckElement[] = [];
  const compare = (input: number, index: number, analytic: number, numeric: number): void => {
    const absError = Math.abs(analytic - numeric);
    const ratio = Number.isNaN(absError) ? (Number.isNaN(analytic) && Number.isNaN(numeric) ? 0 : Infinity) : absError / (atol + rtol * Math.abs(numeric));
    elements.push({ input, index, analytic, numeric, absError, ratio });
  };
  if (inputs.every((x) => typeof x === 'number')) {
    checkScalar(f as ScalarFn, inputs as number[], eps, rng.normal(), compare);
  } else if (inputs.every((x) => x instanceof Tensor)) {
    checkTensor(f as TensorFn, inputs as Tensor[], eps, rng, compare);
  } else {
    throw new ArgumentError(`gradcheck: inputs must be all tensors or all numbers, got ${inputs.map((x) => typeof x).join(', ')}`);
  }
  let worst: GradCheckElement | undefined;
  for (const e of elements) if (worst === undefined || e.ratio > worst.ratio) worst = e;
  const ok = worst === undefined || worst.ratio <= 1;
  const message =
    worst === undefined
      ? `gradcheck of ${name}: nothing to check`
      : `gradcheck of ${name}: ${ok ? 'passed' : 'failed'}; worst at input ${worst.input}, element ${worst.index}: ` +
        `analytic ${worst.analytic}, numeric ${worst.numeric}, error ${worst.absError.toExponential(3)} ` +
        `(allowed ${(atol + rtol * Math.abs(worst.numeric)).toExponential(3)})`;
  if (!ok && opts.raise) throw new GradCheckError(message);
  return { ok, worst, checked: elements.length, message };
}

function checkScalar(f: ScalarFn, xs: number[], eps: number, u: number, compare: (i: number, j: number, a: number, n: number) => void): void {
  const leaves = xs.map((x) => new Value(x));
  const out = f(...leaves);
  if (!(out instanceof Value)) throw new ArgumentError('gradcheck: a function of Values must return a Value');
  if (out.requiresGrad) scalarBackward(out, u, false);
  const at = (k: number, x: number): number =>
    noGrad(() => f(...xs.map((v, i) => new Value(i === k ? x : v, false))).data);
  xs.forEach((x, k) => {
    const numeric = (u * (at(k, x + eps) - at(k, x - eps))) / (2 * eps);
    compare(k, 0, leaves[k]!.grad, numeric);
  });
}

function checkTensor(f: TensorFn, xs: Tensor[], eps: number, rng: Rng, compare: (i: number, j: number, a: number, n: number) => void): void {
  const leaves = xs.map((x) => new Tensor(Float64Array.from(x.data), x.shape, 'float64', true));
  const out = f(...leaves);
  if (!(out instanceof Tensor)) throw new ArgumentError('gradcheck: a tensor function must return a Tensor');
  const u = new Tensor(Float64Array.from({ length: out.size }, () => rng.normal()), out.shape, 'float64');
  const grads = out.requiresGrad ? computeGrads([out], [u], { inputs: leaves }) : leaves.map(() => null);
  const contract = (vals: Tensor[]): number => {
    const y = noGrad(() => f(...vals));
    if (y.size !== u.size) throw new ArgumentError(`gradcheck: output shape changed from ${fmt(out.shape)} to ${fmt(y.shape)}`);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i]! * u.data[i]!;
    return s;
  };
  leaves.forEach((leaf, k) => {
    const g = grads[k];
    const base = Float64Array.from(leaf.data);
    for (let j = 0; j < base.length; j++) {
      const probe = (delta: number): number => {
        const data = Float64Array.from(base);
        data[j] = base[j]! + delta;
        return contract(leaves.map((l, i) => (i === k ? new Tensor(data, l.shape, 'float64') : new Tensor(l.data, l.shape, 'float64'))));
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      compare(k, j, g ? g.data[j]! : 0, numeric);
    }
  });
}
