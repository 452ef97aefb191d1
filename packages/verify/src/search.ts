import { ArgumentError, Tensor, type NestedArray } from '@tapegrad/core';
import fc from 'fast-check';
import { caseInputs, evaluateCase, type CaseResult, type ElementReport } from './case.ts';
import type { Derivation } from './derivation.ts';
import { buildInput, labelCount, rawElement, upstreamElement, type Raw } from './domain.ts';

/** The overall verdict: the derivation holds, is wrong somewhere, or differs only where f is not differentiable. @category Verify */
export type Verdict = 'holds' | 'wrong' | 'not-differentiable';

/** Options of {@link verifyDerivation}. @category Verify */
export interface VerifyOptions {
  /** Seed of the search (default 1): the same seed gives the same cases and the same counterexample. */
  readonly seed?: number;
  /** Random cases to try, after the edge cases (default 200). */
  readonly runs?: number;
  /** Where the derivation lives, for the snippet's import (default `./derivation.ts`, the default export). */
  readonly source?: {
    /** The module's path as the snippet imports it, e.g. `./docs/derivations/huber.ts`. */
    readonly path: string;
    /** `default`, or the name of the export. */
    readonly exportName: string;
  };
}

/** A point where the derivation fails, shrunk to the smallest dimensions and simplest values. @category Verify */
export interface Counterexample {
  /** The dimension sizes. */
  readonly dims: Readonly<Record<string, number>>;
  /** Every input's value. */
  readonly inputs: Readonly<Record<string, NestedArray>>;
  /** The upstream gradient (null when f is a scalar or it was all ones). */
  readonly u: NestedArray | null;
  /** The edge case's name when the counterexample is one of the spec's edge cases. */
  readonly edgeCase: string | null;
  /** A problem that is not a number (a shape mismatch, an error thrown), or null. */
  readonly problem: string | null;
  /** A runnable TypeScript snippet that reproduces the case with {@link checkCase}. */
  readonly snippet: string;
}

/** What {@link verifyDerivation} found. @category Verify */
export interface VerifyReport {
  /** The derivation's name. */
  readonly name: string;
  /** True when the verdict is `holds`. */
  readonly ok: boolean;
  /** See {@link Verdict}. */
  readonly verdict: Verdict;
  /** Cases tried (edge cases and random ones, not counting shrinking). */
  readonly cases: number;
  /** Cases where finite differences could not confirm the engine (kinks, overflow); informative. */
  readonly unreliable: number;
  /** The seed used. */
  readonly seed: number;
  /** The worst element: of the counterexample, or over all cases when the derivation holds. */
  readonly worst: ElementReport | null;
  /** The shrunk failing case (null when the derivation holds). */
  readonly counterexample: Counterexample | null;
  /** Wall time of the search in milliseconds. */
  readonly ms: number;
}

/** One sampled case before it is turned into tensors. */
interface Sample {
  readonly dims: readonly number[];
  readonly pool: readonly Raw[];
  readonly upool: readonly number[];
}

interface Built {
  readonly dims: Record<string, number>;
  readonly xs: Record<string, Tensor>;
  readonly uOf: (shape: readonly number[]) => Tensor;
}

function build(d: Derivation, s: Sample): Built {
  const dims: Record<string, number> = {};
  d.dimNames.forEach((n, i) => (dims[n] = s.dims[i]!));
  const xs: Record<string, Tensor> = {};
  let offset = 0;
  for (const name of d.inputNames) {
    const spec = d.inputs[name]!;
    const shape = spec.shape.map((x) => (typeof x === 'number' ? x : dims[x]!));
    xs[name] = buildInput(shape, spec.domain, s.pool, offset, labelCount(spec.domain, dims));
    offset += xs[name].size;
  }
  const uOf = (shape: readonly number[]): Tensor => {
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(Float64Array.from({ length: size }, (_, i) => s.upool[i % s.upool.length]!), shape, 'float64');
  };
  return { dims, xs, uOf };
}

function arbitrary(d: Derivation): fc.Arbitrary<Sample> {
  const ranges = d.dimNames.map((n) => {
    const r = d.dims?.[n] ?? { min: 1, max: 4 };
    return typeof r === 'number' ? { min: r, max: r } : r;
  });
  return fc.record({
    dims: fc.tuple(...ranges.map((r) => fc.integer(r))),
    pool: fc.array(rawElement, { minLength: 1, maxLength: 32 }),
    upool: fc.array(upstreamElement, { minLength: 1, maxLength: 8 }),
  });
}

/** The upstream gradient a case used, or null when it was all ones (or f is a scalar). */
function upstreamOf(d: Derivation, built: Built): NestedArray | null {
  const y = d.f(built.xs as never);
  if (y.size === 1) return null;
  const u = built.uOf(y.shape);
  return u.data.every((v) => v === 1) ? null : u.toArray();
}

const literal = (x: NestedArray): string => (typeof x === 'number' ? String(x) : `[${x.map(literal).join(', ')}]`);

function snippet(d: Derivation, inputs: Readonly<Record<string, NestedArray>>, u: NestedArray | null, opts: VerifyOptions): string {
  const path = opts.source?.path ?? './derivation.ts';
  const exportName = opts.source?.exportName ?? 'default';
  const importLine = exportName === 'default' ? `import derivation from '${path}';` : `import { ${exportName} as derivation } from '${path}';`;
  const values = d.inputNames.map((n) => `  ${n}: ${literal(inputs[n]!)},`).join('\n');
  return [
    `import { checkCase } from '@tapegrad/verify';`,
    importLine,
    '',
    `const result = checkCase(derivation, {\n${values}\n}${u === null ? '' : `, { u: ${literal(u)} }`});`,
    `console.log(result.status, result.worst);`,
  ].join('\n');
}

/**
 * Searches for a point where a hand derivation disagrees with the engine: sampled dimension sizes (1
 * included, so broadcasting and batch-of-one cases come up) and values (simple, ordinary, near saturation
 * such as |z| ≈ 30, near ties, tiny and huge within each input's domain), seeded and repeatable. A failing
 * case is shrunk (fast-check) to the smallest dimensions and simplest values.
 *
 * The verdict: `wrong` when hand ≠ engine at a point where central differences side with the engine;
 * `not-differentiable` when they differ only where finite differences cannot confirm the engine (a kink,
 * a tie, overflow), so the author is not sent chasing a kink; `holds` otherwise.
 * @param d A derivation from {@link defineDerivation}.
 * @param opts `seed` (default 1), `runs` (default 200), and `source` for the snippet's import.
 * @returns The report: verdict, cases, the worst element, and the shrunk counterexample with a snippet.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for bad options or an edge case that does not fit the spec.
 * @example
 * ```ts
 * import { defineDerivation, verifyDerivation } from '@tapegrad/verify';
 * // f(x) = mean(x²): the hand gradient forgets the 1/n
 * const d = defineDerivation({
 *   name: 'mean of squares',
 *   inputs: { x: { shape: ['n'] } },
 *   f: ({ x }) => x.square().mean(),
 *   grad: ({ x }) => ({ x: x.mul(2) }),
 * });
 * const report = verifyDerivation(d, { seed: 3 });
 * console.log(report.verdict, report.counterexample!.dims.n); // wrong 2
 * ```
 * @category Verify
 */
export function verifyDerivation(d: Derivation, opts: VerifyOptions = {}): VerifyReport {
  const seed = opts.seed ?? 1;
  const runs = opts.runs ?? 200;
  if (!Number.isInteger(seed)) throw new ArgumentError(`verifyDerivation: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(runs) || runs < 0) throw new ArgumentError(`verifyDerivation: runs must be an integer ≥ 0, got ${runs}`);
  const started = performance.now();
  const done = (r: Omit<VerifyReport, 'name' | 'seed' | 'ms' | 'ok'>): VerifyReport => ({
    name: d.name,
    ok: r.verdict === 'holds',
    ...r,
    seed,
    ms: performance.now() - started,
  });
  const example = (dims: Record<string, number>, xs: Record<string, Tensor>, u: NestedArray | null, edgeCase: string | null, r: CaseResult): Counterexample => {
    const inputs: Record<string, NestedArray> = {};
    for (const n of d.inputNames) inputs[n] = xs[n]!.toArray();
    return { dims, inputs, u, edgeCase, problem: r.problem, snippet: snippet(d, inputs, u, opts) };
  };

  let cases = 0;
  let unreliable = 0;
  let firstOdd: { edge: string; r: CaseResult; dims: Record<string, number>; xs: Record<string, Tensor>; u: NestedArray | null } | null = null;
  for (const edge of d.edgeCases ?? []) {
    const { xs, dims } = caseInputs(d, edge.values as Record<string, NestedArray>, `verifyDerivation: edge case '${edge.name}'`);
    const u = edge.u ?? null;
    const uOf =
      u === null
        ? null
        : (shape: readonly number[]): Tensor => {
            const data = Float64Array.from(flat(u));
            if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new ArgumentError(`verifyDerivation: edge case '${edge.name}': u must have f's shape [${shape.join(', ')}], got ${data.length} elements`);
            return new Tensor(data, shape, 'float64');
          };
    const r = evaluateCase(d, xs, uOf);
    cases++;
    if (r.isNumericUnreliable) unreliable++;
    if (r.status === 'wrong') return done({ verdict: 'wrong', cases, unreliable, worst: r.worst, counterexample: example(dims, xs, u, edge.name, r) });
    if (r.status === 'not-differentiable' && firstOdd === null) firstOdd = { edge: edge.name, r, dims, xs, u };
  }

  // The search: the property fails on a wrong case only; not-differentiable cases are tallied on the way.
  const seen: CaseResult[] = [];
  const arb = arbitrary(d);
  const search = (isFailing: (r: CaseResult) => boolean, record: boolean): fc.RunDetails<[Sample]> =>
    fc.check(
      fc.property(arb, (s) => {
        const built = build(d, s);
        const r = evaluateCase(d, built.xs, built.uOf);
        if (record) seen.push(r);
        return !isFailing(r);
      }),
      { seed, numRuns: runs },
    );
  const shrunk = (details: fc.RunDetails<[Sample]>): { built: Built; r: CaseResult } | null => {
    if (!details.failed || details.counterexample === null) return null;
    const built = build(d, details.counterexample[0]);
    return { built, r: evaluateCase(d, built.xs, built.uOf) };
  };
  const details = search((r) => r.status === 'wrong', true);
  const tried = seen.slice(0, details.failed ? details.numRuns : seen.length);
  cases += tried.length;
  unreliable += tried.filter((r) => r.isNumericUnreliable).length;
  const wrong = shrunk(details);
  if (details.failed && wrong === null) throw details.errorInstance ?? new ArgumentError(`verifyDerivation: the search of '${d.name}' failed`);
  if (wrong !== null) {
    const { built, r } = wrong;
    return done({ verdict: 'wrong', cases, unreliable, worst: r.worst, counterexample: example(built.dims, built.xs, upstreamOf(d, built), null, r) });
  }
  if (firstOdd !== null) {
    const { edge, r, dims, xs, u } = firstOdd;
    return done({ verdict: 'not-differentiable', cases, unreliable, worst: r.worst, counterexample: example(dims, xs, u, edge, r) });
  }
  if (tried.some((r) => r.status === 'not-differentiable')) {
    const odd = shrunk(search((r) => r.status === 'not-differentiable', false));
    if (odd !== null) {
      const { built, r } = odd;
      return done({ verdict: 'not-differentiable', cases, unreliable, worst: r.worst, counterexample: example(built.dims, built.xs, upstreamOf(d, built), null, r) });
    }
  }
  let worst: ElementReport | null = null;
  let worstRatio = -1;
  for (const r of tried) {
    const w = r.worst;
    if (w !== null && w.ratio > worstRatio) {
      worst = w;
      worstRatio = w.ratio;
    }
  }
  return done({ verdict: 'holds', cases, unreliable, worst, counterexample: null });
}

function flat(x: NestedArray): number[] {
  return typeof x === 'number' ? [x] : x.flatMap(flat);
}
