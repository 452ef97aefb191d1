import {
  ArgumentError, Rng, Tensor, broadcastShapes, gradcheck, gradgradcheck, jvp, noGrad, tapeLength, vjp, type Shape,
} from '@tapegrad/core';
import type { Domain } from './derivation.ts';
import { toDomain, type Raw } from './domain.ts';

/** How {@link checkOp} builds sample inputs when it is not given tensors. @category Verify */
export interface OpSpec {
  /** One shape per input; the sample points are drawn at these shapes. */
  readonly shapes: readonly Shape[];
  /** Domain of every input, or one per input (default `'real'`; labels are not supported here). */
  readonly domain?: Domain | readonly Domain[];
  /** Sample points to check (default 3). */
  readonly samples?: number;
  /** The op claims NumPy broadcasting: it is also checked at broadcast shapes (`[2, 3]` with `[3]`, `[2, 1]` with `[1, 3]`, a scalar). */
  readonly broadcasts?: boolean;
  /** The output shape the op promises for given input shapes (default: the broadcast shape when `broadcasts`, else not checked). */
  readonly outputShape?: (shapes: readonly Shape[]) => Shape;
  /** Seed of the samples and of the random directions (default 1). */
  readonly seed?: number;
}

/** One contract of {@link checkOp}: passed, failed, or skipped (with the reason). @category Verify */
export interface OpCheck {
  /** What was checked: `first derivatives`, `second derivatives`, `jvp vs vjp`, `output shape and dtype`, `broadcasting`, `inputs unchanged`, `noGrad records nothing`. */
  readonly name: string;
  /** The outcome. */
  readonly status: 'pass' | 'fail' | 'skip';
  /** What was found, with the numbers when it failed. */
  readonly message: string;
}

/** What {@link checkOp} found. @category Verify */
export interface OpReport {
  /** The op's name. */
  readonly name: string;
  /** True when no check failed. */
  readonly ok: boolean;
  /** Each contract in turn. */
  readonly checks: readonly OpCheck[];
  /** True when the backward rule is itself differentiable (written with tensor ops), so second derivatives are real. */
  readonly isBackwardDifferentiable: boolean;
  /** A readable table of the checks. */
  readonly text: string;
}

/** An op as {@link checkOp} takes it: tensors in, a tensor out (a `customOp`, or any tensor function). @category Verify */
export type OpFn = (...xs: Tensor[]) => Tensor;

const fmt = (s: Shape): string => `[${s.join(', ')}]`;
const copy = (t: Tensor, dtype: Tensor['dtype'] = t.dtype, requiresGrad = false): Tensor =>
  new Tensor(dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data), t.shape, dtype, requiresGrad);
const dot = (a: Tensor, b: Tensor): number => {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i]! * b.data[i]!;
  return s;
};

function sample(rng: Rng, shape: Shape, domain: Domain | undefined): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const raw = (): Raw => ({ kind: 'ordinary', n: 0, t: rng.uniform() * 2 - 1, sign: 1 });
  return new Tensor(Float64Array.from({ length: size }, () => toDomain(domain, raw(), undefined)), shape, 'float64');
}

function domainOf(spec: OpSpec, k: number): Domain | undefined {
  const d = spec.domain;
  return Array.isArray(d) ? (d as readonly Domain[])[k] : (d as Domain | undefined);
}

/** The broadcast shape pairs tried for a two-input op that claims broadcasting. */
const BROADCAST_PAIRS: readonly (readonly [Shape, Shape])[] = [[[2, 3], [3]], [[2, 1], [1, 3]], [[2, 3], []], [[3], [2, 3]]];

/**
 * Checks the contract of a custom op (or any tensor function): first derivatives against central
 * differences; second derivatives (`gradgradcheck`) when its backward is written with differentiable ops,
 * and a clear "backward is not differentiable" failure when it is not (a rule on raw arrays would silently
 * give zero second derivatives); `jvp` against `vjp` and a numeric directional derivative; the output's
 * dtype (float32 in, float32 out) and shape; broadcasting when it claims to broadcast; that it leaves its
 * inputs unchanged; and that it records nothing under `noGrad`.
 * @param op The op, e.g. from `customOp`.
 * @param inputs Sample inputs (a list of tensors, or several such lists), or an {@link OpSpec} to draw them.
 * @param opts `name` for the report, and `requiresSecondOrder: false` to accept a backward that is not differentiable.
 * @returns A report with one entry per contract, and a readable `text`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} when no sample inputs are given.
 * @example
 * ```ts
 * import { customOp } from '@tapegrad/core';
 * import { checkOp } from '@tapegrad/verify';
 * // y = x³, dy/dx = 3x²  ⇒  dx = dy·3x²
 * const cube = customOp({
 *   name: 'cube',
 *   forward: (x) => ({ data: x.data.map((v) => v ** 3), shape: x.shape }),
 *   backward: ({ inputs: [x], dy }) => [dy.mul(x!.square()).mul(3)],
 * });
 * console.log(checkOp(cube, { shapes: [[2, 3]] }).ok); // true
 * ```
 * @category Verify
 */
export function checkOp(
  op: OpFn,
  inputs: readonly Tensor[] | readonly (readonly Tensor[])[] | OpSpec,
  opts: { readonly name?: string; readonly requiresSecondOrder?: boolean } = {},
): OpReport {
  const name = opts.name ?? ((op as { op?: { name?: string } }).op?.name ?? (op.name || 'op'));
  const spec: OpSpec | null = Array.isArray(inputs) ? null : (inputs as OpSpec);
  const rng = new Rng(spec?.seed ?? 1);
  let points: Tensor[][];
  if (spec === null) {
    const list = inputs as readonly Tensor[] | readonly (readonly Tensor[])[];
    points = (list.length > 0 && Array.isArray(list[0]) ? (list as readonly (readonly Tensor[])[]) : [list as readonly Tensor[]]).map((p) => p.map((t) => copy(t, 'float64')));
  } else {
    points = Array.from({ length: spec.samples ?? 3 }, () => spec.shapes.map((s, k) => sample(rng, s, domainOf(spec, k))));
  }
  if (points.length === 0 || points[0]!.length === 0) throw new ArgumentError(`checkOp: '${name}' needs sample inputs (tensors, or { shapes })`);
  const checks: OpCheck[] = [];
  const add = (check: string, status: OpCheck['status'], message: string): void => void checks.push({ name: check, status, message });

  // First derivatives.
  const first = points.map((p) => gradcheck(op, p, { name }));
  const badFirst = first.find((r) => !r.ok);
  add('first derivatives', badFirst ? 'fail' : 'pass', badFirst ? badFirst.message : `gradcheck passed at ${points.length} point(s)`);

  // Is the backward differentiable? With a cotangent u that requires grad, a rule written with tensor ops
  // gives gradients that depend on u (a VJP is linear in u); a rule on raw arrays gives constants.
  const p0 = points[0]!;
  let isBackwardDifferentiable = true;
  {
    const xs = p0.map((t) => copy(t, 'float64', true));
    const y = op(...xs);
    const u = new Tensor(Float64Array.from({ length: y.size }, () => rng.normal()), y.shape, 'float64', true);
    y.backward(u, { createGraph: true });
    const dead = xs.findIndex((x) => x.grad !== null && !x.grad.requiresGrad);
    if (dead >= 0) isBackwardDifferentiable = false;
  }
  if (!isBackwardDifferentiable) {
    add(
      'second derivatives',
      opts.requiresSecondOrder === false ? 'skip' : 'fail',
      `backward is not differentiable: its gradients are constants under createGraph (computed on raw arrays, or from values saved in forward), so grad of grad, hessian, hvp and jvp through '${name}' would be silently wrong; write the rule with tensor ops`,
    );
  } else {
    const second = points.map((p) => gradgradcheck(op, p, { name }));
    const bad = second.find((r) => !r.ok);
    // A failure with gradients that do not depend on the inputs (for a fixed u) means the rule used values
    // saved in forward or raw arrays: say so rather than only print the numbers.
    let isConstantInX = false;
    if (bad) {
      const xs = p0.map((t) => copy(t, 'float64', true));
      const y = op(...xs);
      y.backward(new Tensor(Float64Array.from({ length: y.size }, () => rng.normal()), y.shape, 'float64'), { createGraph: true });
      isConstantInX = xs.every((x) => x.grad === null || !x.grad.requiresGrad);
      if (isConstantInX) isBackwardDifferentiable = false;
    }
    const message = !bad
      ? `gradgradcheck passed at ${points.length} point(s)`
      : isConstantInX
        ? `backward is not differentiable with respect to the inputs: under createGraph its gradients do not depend on them (values saved in forward, or raw arrays), so second derivatives come out as zero; ${bad.message}`
        : bad.message;
    add('second derivatives', bad ? (isConstantInX && opts.requiresSecondOrder === false ? 'skip' : 'fail') : 'pass', message);
  }

  // jvp (forward mode) against vjp (reverse mode) and a numeric directional derivative: ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩.
  if (!isBackwardDifferentiable) {
    add('jvp vs vjp', 'skip', 'jvp is computed through the backward rule (double vjp), which is not differentiable');
  } else {
    const problems: string[] = [];
    for (const p of points) {
      const vs = p.map((x) => new Tensor(Float64Array.from({ length: x.size }, () => rng.normal()), x.shape, 'float64'));
      const [y, jv] = jvp(op, p, vs);
      const u = new Tensor(Float64Array.from({ length: y.size }, () => rng.normal()), y.shape, 'float64');
      const [, pullback] = vjp(op, ...p);
      const jtu = pullback(u);
      const reverse = jtu.reduce((s, g, k) => s + dot(g, vs[k]!), 0);
      const forward = dot(jv, u);
      const eps = 1e-6;
      const at = (sign: number): Tensor => noGrad(() => op(...p.map((x, k) => new Tensor(Float64Array.from(x.data, (v, i) => v + sign * eps * vs[k]!.data[i]!), x.shape, 'float64'))));
      const numeric = (dot(at(1), u) - dot(at(-1), u)) / (2 * eps);
      const close = (a: number, b: number, rtol: number): boolean => Math.abs(a - b) <= 1e-6 + rtol * Math.max(Math.abs(a), Math.abs(b));
      if (!close(forward, reverse, 1e-8)) problems.push(`⟨J·v, u⟩ = ${forward} by jvp but ⟨v, Jᵀ·u⟩ = ${reverse} by vjp`);
      else if (!close(forward, numeric, 1e-4)) problems.push(`⟨J·v, u⟩ = ${forward} by jvp and vjp but ${numeric} by central differences`);
    }
    add('jvp vs vjp', problems.length > 0 ? 'fail' : 'pass', problems[0] ?? `⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ and matches central differences at ${points.length} point(s)`);
  }

  // Output dtype and shape.
  {
    const problems: string[] = [];
    for (const dtype of ['float64', 'float32'] as const) {
      const y = noGrad(() => op(...p0.map((t) => copy(t, dtype))));
      if (y.dtype !== dtype) problems.push(`${dtype} inputs gave a ${y.dtype} output`);
    }
    const shapes = p0.map((t) => t.shape);
    const expected = spec?.outputShape?.(shapes) ?? (spec?.broadcasts ? shapes.reduce((a, b) => broadcastShapes(a, b)) : null);
    const got = noGrad(() => op(...p0)).shape;
    if (expected !== null && fmt(expected) !== fmt(got)) problems.push(`inputs ${shapes.map(fmt).join(', ')} gave output ${fmt(got)}, expected ${fmt(expected)}`);
    add('output shape and dtype', problems.length > 0 ? 'fail' : 'pass', problems[0] ?? `dtype follows the inputs (float64, float32); output ${fmt(got)}${expected === null ? '' : ' as promised'}`);
  }

  // Broadcasting.
  if (spec?.broadcasts) {
    const problems: string[] = [];
    if (spec.shapes.length !== 2) problems.push(`broadcasting is checked for two-input ops, '${name}' has ${spec.shapes.length}`);
    for (const [sa, sb] of spec.shapes.length === 2 ? BROADCAST_PAIRS : []) {
      const a = sample(rng, sa, domainOf(spec, 0));
      const b = sample(rng, sb, domainOf(spec, 1));
      const out = broadcastShapes(sa, sb);
      const y = noGrad(() => op(a, b));
      const full = noGrad(() => op(a.broadcastTo(out), b.broadcastTo(out)));
      if (fmt(y.shape) !== fmt(out)) problems.push(`${fmt(sa)} with ${fmt(sb)} gave ${fmt(y.shape)}, expected ${fmt(out)}`);
      else if (y.data.some((v, i) => Math.abs(v - full.data[i]!) > 1e-12 * Math.max(1, Math.abs(v)))) problems.push(`${fmt(sa)} with ${fmt(sb)} differs from the op on the broadcast operands`);
      else {
        const g = gradcheck(op, [a, b], { name });
        if (!g.ok) problems.push(`${fmt(sa)} with ${fmt(sb)}: ${g.message}`);
      }
    }
    add('broadcasting', problems.length > 0 ? 'fail' : 'pass', problems[0] ?? `values and gradients agree at ${BROADCAST_PAIRS.map(([a, b]) => `${fmt(a)}+${fmt(b)}`).join(', ')}`);
  } else {
    add('broadcasting', 'skip', 'the op does not claim to broadcast (OpSpec.broadcasts)');
  }

  // Inputs unchanged by forward and backward.
  {
    const xs = p0.map((t) => copy(t, 'float64', true));
    const before = xs.map((x) => Float64Array.from(x.data));
    const y = op(...xs);
    const afterForward = xs.findIndex((x, k) => x.data.some((v, i) => !Object.is(v, before[k]![i])));
    y.backward(new Tensor(new Float64Array(y.size).fill(1), y.shape, 'float64'));
    const afterBackward = xs.findIndex((x, k) => x.data.some((v, i) => !Object.is(v, before[k]![i])));
    const bad = afterForward >= 0 ? `forward changed input ${afterForward}` : afterBackward >= 0 ? `backward changed input ${afterBackward}` : null;
    add('inputs unchanged', bad === null ? 'pass' : 'fail', bad ?? 'forward and backward leave every input as it was');
  }

  // Nothing recorded under noGrad.
  {
    const xs = p0.map((t) => copy(t, 'float64', true));
    const before = tapeLength();
    const y = noGrad(() => op(...xs));
    const recorded = tapeLength() - before;
    const bad = recorded > 0 ? `${recorded} node(s) recorded under noGrad` : y.requiresGrad ? 'the output requires grad under noGrad' : null;
    add('noGrad records nothing', bad === null ? 'pass' : 'fail', bad ?? 'no node recorded, output does not require grad');
  }

  const ok = checks.every((c) => c.status !== 'fail');
  const width = Math.max(...checks.map((c) => c.name.length));
  const mark = { pass: '✓', fail: '✗', skip: '–' } as const;
  const text = `${ok ? '✓' : '✗'} checkOp '${name}': ${ok ? 'the contract holds' : 'the contract is broken'}\n` + checks.map((c) => `  ${mark[c.status]} ${c.name.padEnd(width)}  ${c.message}`).join('\n') + '\n';
  return { name, ok, checks, isBackwardDifferentiable, text };
}
