import { ArgumentError, Tensor, noGrad, tensor, vjp, type NestedArray } from '@tapegrad/core';
import type { Derivation, Domain, Inputs } from './derivation.ts';
import { roomInDomain } from './domain.ts';

/** What one case found: the derivation agrees with the engine there, is wrong, or the function is not differentiable there. @category Verify */
export type CaseStatus = 'agree' | 'wrong' | 'not-differentiable';

/** One compared gradient element. @category Verify */
export interface ElementReport {
  /** The input's name. */
  readonly input: string;
  /** Flat (row-major) element index within the input. */
  readonly index: number;
  /** The same element as one index per dimension. */
  readonly at: readonly number[];
  /** The hand derivation's value. */
  readonly hand: number;
  /** The engine's value (reverse mode through the ops `f` is written with). */
  readonly engine: number;
  /** The central difference of `⟨u, f⟩` in float64 (NaN when not computed). */
  readonly numeric: number;
  /** `|hand − engine| / max(|hand|, |engine|, atol)`: relative, with the absolute tolerance as a floor near 0. */
  readonly relError: number;
  /** `|hand − engine| / (atol + rtol·max(|hand|, |engine|))`: above 1 is a disagreement. */
  readonly ratio: number;
}

/** What {@link checkCase} found at one point. @category Verify */
export interface CaseResult {
  /** The case's verdict. */
  readonly status: CaseStatus;
  /** The element where hand and engine differ most (null when nothing was compared). */
  readonly worst: ElementReport | null;
  /** A problem that is not a number: a shape mismatch, a thrown error, a non-finite output (null when none). */
  readonly problem: string | null;
  /** True when finite differences could not confirm the engine at the worst element (a kink, overflow). */
  readonly isNumericUnreliable: boolean;
}

/** Options of {@link checkCase}. @category Verify */
export interface CheckCaseOptions {
  /** The upstream gradient, of f's shape (default: ones). Ignored when f is a scalar. */
  readonly u?: NestedArray;
}

/** Default hand-vs-engine tolerances by dtype. */
export const HAND_TOLERANCE = { float64: { atol: 1e-7, rtol: 1e-6 }, float32: { atol: 1e-4, rtol: 1e-3 } } as const;
const EPS = 1e-6;
const ULP = 2.220446049250313e-16;

const isLabels = (domain: Domain | undefined): boolean => typeof domain === 'object' && 'labels' in domain;

const sameNonFinite = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || (!Number.isFinite(a) && a === b);

function unravel(index: number, shape: readonly number[]): number[] {
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = index % shape[d]!;
    index = Math.floor(index / shape[d]!);
  }
  return at;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Evaluates one case: `xs` are float64 tensors by input name, `uOf` gives the upstream gradient for f's
 * output shape (null: ones). Compares the hand gradient with the engine's, and where they differ asks central
 * differences who is right.
 */
export function evaluateCase(d: Derivation, xs: Readonly<Record<string, Tensor>>, uOf: ((shape: readonly number[]) => Tensor) | null): CaseResult {
  const dtype = d.dtype ?? 'float64';
  const tol = { ...HAND_TOLERANCE[dtype], ...d.tolerance };
  const diffNames = d.inputNames.filter((n) => !isLabels(d.inputs[n]!.domain));
  const cast = (t: Tensor): Tensor => (dtype === 'float64' ? t : noGrad(() => t.astype(dtype)));
  const typed: Record<string, Tensor> = {};
  for (const n of d.inputNames) typed[n] = cast(xs[n]!);
  const fail = (problem: string): CaseResult => ({ status: 'wrong', worst: null, problem, isNumericUnreliable: false });

  let y: Tensor;
  let pullback: (u: Tensor) => Tensor[];
  try {
    const call = (...ts: Tensor[]): Tensor => {
      const args: Record<string, Tensor> = { ...typed };
      diffNames.forEach((n, k) => (args[n] = ts[k]!));
      return d.f(args as Inputs<string>);
    };
    [y, pullback] = vjp(call, ...diffNames.map((n) => typed[n]!));
  } catch (e) {
    return fail(`f threw: ${message(e)}`);
  }
  const u = cast(y.size === 1 || uOf === null ? new Tensor(new Float64Array(y.size).fill(1), y.shape, 'float64') : uOf(y.shape));
  let engine: Tensor[];
  try {
    engine = pullback(u);
  } catch (e) {
    return fail(`the engine's backward of f threw: ${message(e)}`);
  }
  let hand: { readonly [k: string]: Tensor | undefined };
  try {
    hand = noGrad(() => d.grad(typed as Inputs<string>, u));
  } catch (e) {
    return fail(`grad threw: ${message(e)}`);
  }
  if (typeof hand !== 'object' || hand === null) return fail(`grad must return an object of gradients by input name, got ${typeof hand}`);
  const isFinite = y.data.every(Number.isFinite);

  interface Mismatch { readonly name: string; readonly j: number; readonly h: number; readonly e: number; readonly ratio: number }
  const mismatches: Mismatch[] = [];
  let worst: Mismatch | null = null;
  for (const [name, g] of Object.entries(hand)) {
    if (g === undefined) continue;
    const k = diffNames.indexOf(name);
    if (k < 0) {
      return fail(d.inputNames.includes(name) ? `grad returned a gradient for ${name}, which holds labels (no gradient)` : `grad returned a gradient for ${name}, which is not an input`);
    }
    if (!(g instanceof Tensor)) return fail(`grad returned ${typeof g} for ${name}, expected a Tensor`);
    const x = typed[name]!;
    if (g.shape.length !== x.shape.length || g.shape.some((s, i) => s !== x.shape[i])) {
      return fail(`the hand gradient of ${name} has shape ${fmtShape(g.shape)}, the input has shape ${fmtShape(x.shape)}`);
    }
    const e = engine[k]!;
    for (let j = 0; j < x.size; j++) {
      const h = g.data[j]!;
      const ev = e.data[j]!;
      const diff = Math.abs(h - ev);
      const ratio = sameNonFinite(h, ev) ? 0 : Number.isNaN(diff) ? Infinity : diff / (tol.atol + tol.rtol * Math.max(Math.abs(h), Math.abs(ev)));
      const m = { name, j, h, e: ev, ratio };
      if (worst === null || ratio > worst.ratio) worst = m;
      if (ratio > 1) mismatches.push(m);
    }
  }
  if (worst === null) return { status: 'agree', worst: null, problem: isFinite ? null : 'f is not finite here', isNumericUnreliable: !isFinite };

  const u64 = u.dtype === 'float64' ? u : noGrad(() => u.astype('float64'));
  const numericAt = (name: string, j: number): { value: number; isReliable: boolean } => {
    const domain = d.inputs[name]!.domain;
    const x0 = xs[name]!.data[j]!;
    const eps = Math.min(EPS * Math.max(1, Math.abs(x0)), 1e-3 * roomInDomain(domain, x0));
    let magnitude = 0;
    const at = (delta: number): number => {
      const args: Record<string, Tensor> = { ...xs };
      const data = Float64Array.from(xs[name]!.data);
      data[j] = x0 + delta;
      args[name] = new Tensor(data, xs[name]!.shape, 'float64');
      const out = noGrad(() => d.f(args as Inputs<string>));
      let s = 0;
      for (let i = 0; i < out.size; i++) {
        const t = out.data[i]! * u64.data[i]!;
        s += t;
        magnitude = Math.max(magnitude, Math.abs(t) * out.size);
      }
      return s;
    };
    const [plus, mid, minus] = [at(eps), at(0), at(-eps)];
    const central = (plus - minus) / (2 * eps);
    const forward = (plus - mid) / eps;
    const backward = (mid - minus) / eps;
    const roundoff = (40 * ULP * magnitude) / eps;
    const isSmooth = Math.abs(forward - backward) <= 1e-4 + 1e-2 * Math.max(Math.abs(forward), Math.abs(backward)) + roundoff;
    return { value: central, isReliable: Number.isFinite(central) && isSmooth };
  };
  const report = (m: Mismatch, numeric: number): ElementReport => {
    const relError = sameNonFinite(m.h, m.e) ? 0 : Math.abs(m.h - m.e) / Math.max(Math.abs(m.h), Math.abs(m.e), tol.atol);
    return { input: m.name, index: m.j, at: unravel(m.j, typed[m.name]!.shape), hand: m.h, engine: m.e, numeric, relError: Number.isNaN(relError) ? Infinity : relError, ratio: m.ratio };
  };
  const agreesWithNumeric = (e: number, n: { value: number; isReliable: boolean }): boolean =>
    n.isReliable && Number.isFinite(e) && Math.abs(e - n.value) <= 1e-5 + 1e-3 * Math.abs(n.value);

  if (mismatches.length === 0) {
    const n = numericAt(worst.name, worst.j);
    return { status: 'agree', worst: report(worst, n.value), problem: isFinite ? null : 'f is not finite here', isNumericUnreliable: !agreesWithNumeric(worst.e, n) };
  }
  // The largest mismatches first: the first one that finite differences side with the engine on makes the case wrong.
  mismatches.sort((a, b) => b.ratio - a.ratio);
  let firstNumeric = NaN;
  for (const m of mismatches.slice(0, 16)) {
    const n = numericAt(m.name, m.j);
    if (m === mismatches[0]) firstNumeric = n.value;
    if (agreesWithNumeric(m.e, n)) return { status: 'wrong', worst: report(m, n.value), problem: null, isNumericUnreliable: false };
  }
  return {
    status: 'not-differentiable',
    worst: report(mismatches[0]!, firstNumeric),
    problem: isFinite ? 'finite differences do not confirm the engine here (a kink, a tie, or lost precision)' : 'f is not finite here',
    isNumericUnreliable: true,
  };
}

/** Turns nested arrays or tensors into float64 tensors, checking names and shapes against the spec's dimensions. */
export function caseInputs(d: Derivation, values: Readonly<Record<string, NestedArray | Tensor>>, who: string): { xs: Record<string, Tensor>; dims: Record<string, number> } {
  const xs: Record<string, Tensor> = {};
  const dims: Record<string, number> = {};
  for (const name of d.inputNames) {
    const v = values[name];
    if (v === undefined) throw new ArgumentError(`${who}: '${d.name}' needs a value for input ${name}`);
    const t = v instanceof Tensor ? new Tensor(Float64Array.from(v.data), v.shape, 'float64') : tensor(v);
    const spec = d.inputs[name]!.shape;
    if (t.rank !== spec.length) throw new ArgumentError(`${who}: input ${name} of '${d.name}' must have ${spec.length} dimension(s) [${spec.join(', ')}], got shape ${fmtShape(t.shape)}`);
    spec.forEach((s, i) => {
      const size = t.shape[i]!;
      const expected = typeof s === 'number' ? s : (dims[s] ??= size);
      if (size !== expected) throw new ArgumentError(`${who}: input ${name} of '${d.name}' has shape ${fmtShape(t.shape)}, but dimension ${s} is ${expected}`);
    });
    xs[name] = t.dtype === 'float64' ? t : new Tensor(Float64Array.from(t.data), t.shape, 'float64');
  }
  for (const name of Object.keys(values)) {
    if (!d.inputNames.includes(name)) throw new ArgumentError(`${who}: '${d.name}' has no input ${name} (inputs: ${d.inputNames.join(', ')})`);
  }
  return { xs, dims };
}

/**
 * Checks a derivation at one point you choose: hand vs engine, and central differences where they differ.
 * This is what a counterexample's snippet runs.
 * @param d A derivation from {@link defineDerivation}.
 * @param values Every input's value, as nested arrays or tensors.
 * @param opts The upstream gradient `u` for a non-scalar f (default ones).
 * @returns The case's status and its worst element.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a missing or unknown input, or shapes that disagree with the spec.
 * @example
 * ```ts
 * import { checkCase, defineDerivation } from '@tapegrad/verify';
 * const d = defineDerivation({
 *   name: 'mean of squares, missing 1/n',
 *   inputs: { x: { shape: ['n'] } },
 *   f: ({ x }) => x.square().mean(),
 *   grad: ({ x }) => ({ x: x.mul(2) }),
 * });
 * console.log(checkCase(d, { x: [1] }).status, checkCase(d, { x: [1, 2] }).status); // agree wrong
 * ```
 * @category Verify
 */
export function checkCase(d: Derivation, values: Readonly<Record<string, NestedArray | Tensor>>, opts: CheckCaseOptions = {}): CaseResult {
  const { xs } = caseInputs(d, values, 'checkCase');
  const u = opts.u;
  const uOf =
    u === undefined
      ? null
      : (shape: readonly number[]): Tensor => {
          const t = tensor(u);
          if (t.size !== shape.reduce((a, b) => a * b, 1)) throw new ArgumentError(`checkCase: u must have f's shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
          return new Tensor(Float64Array.from(t.data), shape, 'float64');
        };
  return evaluateCase(d, xs, uOf);
}
